"""slack events taken on, for deduplicating redeliveries by event_id

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.store.types

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('slackevent',
    sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('received_at', bot.store.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('event_id')
    )
    with op.batch_alter_table('slackevent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_slackevent_received_at'), ['received_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('slackevent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_slackevent_received_at'))
    op.drop_table('slackevent')
