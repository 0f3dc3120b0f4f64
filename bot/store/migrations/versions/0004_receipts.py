"""signed decision receipts, the service signing key; decided_by fits "agent:" + a 100-character agent name

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

import bot.store.types
from connectors.verify import key_id

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('signingkey',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('private_key', sa.Text(), nullable=False),
    sa.Column('created_at', bot.store.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('receipt',
    sa.Column('proposal_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('key_id', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('signature', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('created_at', bot.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], ),
    sa.PrimaryKeyConstraint('proposal_id')
    )
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.alter_column(
            'decided_by',
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=100),
            type_=sqlmodel.sql.sqltypes.AutoString(length=106),
            existing_nullable=True,
        )
    # The service key is made here, once: migrations run one replica at a time (advisory lock on PostgreSQL,
    # BEGIN IMMEDIATE on SQLite), so replicas starting together on one database all get this same key.
    private = Ed25519PrivateKey.generate()
    raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    pem = private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    table = sa.table(
        'signingkey',
        sa.column('id', sa.Integer),
        sa.column('key_id', sa.String),
        sa.column('private_key', sa.Text),
        sa.column('created_at', bot.store.types.UTCDateTime()),
    )
    op.bulk_insert(table, [{'id': 1, 'key_id': key_id(raw), 'private_key': pem, 'created_at': datetime.now(UTC)}])


def downgrade() -> None:
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.alter_column(
            'decided_by',
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=106),
            type_=sqlmodel.sql.sqltypes.AutoString(length=100),
            existing_nullable=True,
        )
    op.drop_table('receipt')
    op.drop_table('signingkey')
