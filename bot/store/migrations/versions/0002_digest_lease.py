"""digest claim lease and chart state

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.store.types

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('digestrun', schema=None) as batch_op:
        # A replica that crashed mid-digest leaves a claim; after lease_until another replica may take it over.
        batch_op.add_column(sa.Column('lease_until', bot.store.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('chart_posted_at', bot.store.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('digestrun', schema=None) as batch_op:
        batch_op.drop_column('chart_posted_at')
        batch_op.drop_column('lease_until')
