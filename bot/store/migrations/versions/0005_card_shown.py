"""the version the proposal's Slack message last showed, and when

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.store.types

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('card_version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('card_shown_at', bot.store.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.drop_column('card_shown_at')
        batch_op.drop_column('card_version')
