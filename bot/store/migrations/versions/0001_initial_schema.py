"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.store.types

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('agent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('token_prefix', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('scopes', sa.JSON(), nullable=False),
    sa.Column('created_at', bot.store.types.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', bot.store.types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_table('auditevent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('before', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('after', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.Column('at', bot.store.types.UTCDateTime(), nullable=False),
    sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('seq')
    )
    with op.batch_alter_table('auditevent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auditevent_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('audithead',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('digestrun',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('workflow', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('ts', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('posted_at', bot.store.types.UTCDateTime(), nullable=True),
    sa.Column('reviewed_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('reviewed_at', bot.store.types.UTCDateTime(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('period', 'workflow', name='uq_digest_period_workflow')
    )
    op.create_table('duework',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('proposal_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.Column('due_at', bot.store.types.UTCDateTime(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('lease_owner', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('lease_until', bot.store.types.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('dedupe_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('created_at', bot.store.types.UTCDateTime(), nullable=False),
    sa.Column('done_at', bot.store.types.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedupe_key')
    )
    with op.batch_alter_table('duework', schema=None) as batch_op:
        batch_op.create_index('ix_due_work_state_due', ['state', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_duework_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('proposal',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('agent', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('workflow', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.Column('original_payload', sa.JSON(), nullable=True),
    sa.Column('edited', sa.Boolean(), nullable=False),
    sa.Column('diff', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('request_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('thread_channel', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('thread_ts', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('links', sa.JSON(), nullable=False),
    sa.Column('callback_url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('route', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('rule_index', sa.Integer(), nullable=True),
    sa.Column('required_approvals', sa.Integer(), nullable=False),
    sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('decided_at', bot.store.types.UTCDateTime(), nullable=True),
    sa.Column('decision_seconds', sa.Float(), nullable=True),
    sa.Column('execution_status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('execution_attempts', sa.Integer(), nullable=False),
    sa.Column('execution_result', sa.JSON(), nullable=True),
    sa.Column('execution_error', sa.Text(), nullable=True),
    sa.Column('executed_at', bot.store.types.UTCDateTime(), nullable=True),
    sa.Column('created_at', bot.store.types.UTCDateTime(), nullable=False),
    sa.Column('expires_at', bot.store.types.UTCDateTime(), nullable=True),
    sa.Column('slack_channel', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('slack_ts', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('slack_permalink', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('duplicate_of', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.Column('escalation_level', sa.Integer(), nullable=False),
    sa.Column('escalated_to', sa.JSON(), nullable=False),
    sa.Column('escalations', sa.Integer(), nullable=False),
    sa.Column('reminders_sent', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('agent', 'idempotency_key', name='uq_proposal_agent_key')
    )
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.create_index('ix_proposal_content_created', ['content_hash', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposal_status'), ['status'], unique=False)
        batch_op.create_index('ix_proposal_workflow_created', ['workflow', 'created_at'], unique=False)
        batch_op.create_index('ix_proposal_workflow_decided', ['workflow', 'decided_at'], unique=False)

    op.create_table('approval',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('user', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('at', bot.store.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('proposal_id', 'user', 'version', name='uq_approval_user_version')
    )
    with op.batch_alter_table('approval', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approval_proposal_id'), ['proposal_id'], unique=False)

    # The audit chain starts from a fixed genesis hash; appends lock and advance this one row.
    head = sa.table("audithead", sa.column("id", sa.Integer), sa.column("seq", sa.Integer), sa.column("hash", sa.String))
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": "0" * 64}])


def downgrade() -> None:
    with op.batch_alter_table('approval', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approval_proposal_id'))

    op.drop_table('approval')
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.drop_index('ix_proposal_workflow_decided')
        batch_op.drop_index('ix_proposal_workflow_created')
        batch_op.drop_index(batch_op.f('ix_proposal_status'))
        batch_op.drop_index('ix_proposal_content_created')

    op.drop_table('proposal')
    with op.batch_alter_table('duework', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_duework_proposal_id'))
        batch_op.drop_index('ix_due_work_state_due')

    op.drop_table('duework')
    op.drop_table('digestrun')
    op.drop_table('audithead')
    with op.batch_alter_table('auditevent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auditevent_proposal_id'))

    op.drop_table('auditevent')
    op.drop_table('agent')
