"""SQLModel tables: agents, proposals, approvals, the audit chain, due work (outbox), digest runs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from bot import limits
from bot.enums import DueState, ExecutionStatus, ProposalKind, ProposalStatus, Route
from bot.store.types import EnumText, JSONType, UTCDateTime


def _json(**kw: Any) -> Any:
    return Field(sa_column=Column(JSONType, **kw))


def _when(**kw: Any) -> Any:
    return Field(sa_column=Column(UTCDateTime(), **kw))


def _enum(enum: type[StrEnum], length: int, default: Any = ..., index: bool = False) -> Any:
    column: Column[Any] = Column(
        EnumText(enum, length), nullable=False, index=index, default=None if default is ... else default
    )
    return Field(default, sa_column=column)


def _text(**kw: Any) -> Any:
    return Field(sa_column=Column(Text, **kw))


class Agent(SQLModel, table=True):
    """An API client. Only the SHA-256 of its token is stored."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=limits.AGENT_NAME, unique=True)
    token_hash: str = Field(max_length=64, unique=True)
    token_prefix: str = Field(max_length=16)
    scopes: list[str] = _json(nullable=False)
    created_at: datetime = _when(nullable=False)
    revoked_at: datetime | None = _when(nullable=True)


class Proposal(SQLModel, table=True):
    """One proposed action (or handoff) and everything that happened to it."""

    __table_args__ = (
        UniqueConstraint("agent", "idempotency_key", name="uq_proposal_agent_key"),
        Index("ix_proposal_workflow_created", "workflow", "created_at"),
        Index("ix_proposal_workflow_decided", "workflow", "decided_at"),
        Index("ix_proposal_content_created", "content_hash", "created_at"),
    )

    id: str = Field(primary_key=True, max_length=36)
    kind: ProposalKind = _enum(ProposalKind, 16, default=ProposalKind.PROPOSAL)
    agent: str = Field(max_length=limits.AGENT_NAME)
    workflow: str = Field(max_length=limits.WORKFLOW_NAME)
    action: str = Field(max_length=limits.ACTION_NAME)
    summary: str = _text(nullable=False)
    payload: Any = _json(nullable=True)
    original_payload: Any = _json(nullable=True)
    edited: bool = False
    diff: list[dict[str, Any]] = _json(nullable=False)
    version: int = 1
    problems: list[dict[str, str]] = _json(nullable=False)
    idempotency_key: str | None = Field(default=None, max_length=limits.IDEMPOTENCY_KEY)
    request_hash: str = Field(max_length=64)
    content_hash: str = Field(max_length=64)
    requested_by: str | None = Field(default=None, max_length=limits.REQUESTED_BY)
    thread_channel: str | None = Field(default=None, max_length=40)
    thread_ts: str | None = Field(default=None, max_length=40)
    links: list[dict[str, str]] = _json(nullable=False)
    callback_url: str | None = Field(default=None, max_length=limits.CALLBACK_URL)
    route: Route = _enum(Route, 8)
    reason: str = _text(nullable=False)
    rule_index: int | None = None
    required_approvals: int = 1
    mode: str = Field(default="live", max_length=8)
    status: ProposalStatus = _enum(ProposalStatus, 16, index=True)
    decided_by: str | None = Field(default=None, max_length=limits.DECIDER)
    decision_reason: str | None = _text(nullable=True)
    decided_at: datetime | None = _when(nullable=True)
    decision_seconds: float | None = None
    execution_status: ExecutionStatus = _enum(ExecutionStatus, 16, default=ExecutionStatus.NONE)
    execution_attempts: int = 0
    execution_result: Any = _json(nullable=True)
    execution_error: str | None = _text(nullable=True)
    executed_at: datetime | None = _when(nullable=True)
    created_at: datetime = _when(nullable=False)
    expires_at: datetime | None = _when(nullable=True)
    slack_channel: str | None = Field(default=None, max_length=40)
    slack_ts: str | None = Field(default=None, max_length=40)
    slack_permalink: str | None = Field(default=None, max_length=500)
    # The payload version the Slack message last showed, and when it was shown: a typed decision names no version,
    # so it is held to the one on the card (and step-up windows run from the time it was shown).
    card_version: int | None = None
    card_shown_at: datetime | None = _when(nullable=True)
    duplicate_of: str | None = Field(default=None, max_length=36)
    escalation_level: int = 0  # steps of the policy's escalation chain already taken
    escalated_to: list[str] = _json(nullable=False)  # extra deciders named by a manual escalation
    escalations: int = 0
    reminders_sent: int = 0


class Approval(SQLModel, table=True):
    """One approver's yes for one version of the payload (quorum counts distinct users per version)."""

    __table_args__ = (UniqueConstraint("proposal_id", "user", "version", name="uq_approval_user_version"),)

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: str = Field(foreign_key="proposal.id", index=True, max_length=36)
    user: str = Field(max_length=100)
    version: int
    at: datetime = _when(nullable=False)


class AuditEvent(SQLModel, table=True):
    """An append-only, hash-chained record of every transition and refused attempt."""

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True)
    proposal_id: str | None = Field(default=None, max_length=36, index=True)
    actor: str = Field(max_length=200)
    action: str = Field(max_length=50)
    before: str | None = Field(default=None, max_length=50)
    after: str | None = Field(default=None, max_length=50)
    reason: str | None = _text(nullable=True)
    data: Any = _json(nullable=True)
    at: datetime = _when(nullable=False)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """The chain's tip: one row, locked while appending so concurrent writers never fork the chain."""

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(max_length=64)


class DueWork(SQLModel, table=True):
    """The outbox: every side effect waits here until a sweep claims it under a lease."""

    __table_args__ = (Index("ix_due_work_state_due", "state", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)  # a WorkKind; plain text so a sweep with its own handlers may add kinds
    proposal_id: str | None = Field(default=None, max_length=36, index=True)
    data: Any = _json(nullable=True)
    due_at: datetime = _when(nullable=False)
    state: DueState = _enum(DueState, 12, default=DueState.PENDING)
    attempts: int = 0
    max_attempts: int = 10
    lease_owner: str | None = Field(default=None, max_length=100)
    lease_until: datetime | None = _when(nullable=True)
    last_error: str | None = _text(nullable=True)
    dedupe_key: str | None = Field(default=None, max_length=200, unique=True)
    created_at: datetime = _when(nullable=False)
    done_at: datetime | None = _when(nullable=True)


class DigestRun(SQLModel, table=True):
    """One monthly digest per (period, workflow): the unique key makes posting idempotent across replicas."""

    __table_args__ = (UniqueConstraint("period", "workflow", name="uq_digest_period_workflow"),)

    id: int | None = Field(default=None, primary_key=True)
    period: str = Field(max_length=7)
    workflow: str = Field(max_length=limits.WORKFLOW_NAME)
    state: str = Field(default="claimed", max_length=12)
    claimed_by: str | None = Field(default=None, max_length=100)
    channel: str | None = Field(default=None, max_length=40)
    ts: str | None = Field(default=None, max_length=40)
    posted_at: datetime | None = _when(nullable=True)
    reviewed_by: str | None = Field(default=None, max_length=100)
    reviewed_at: datetime | None = _when(nullable=True)
    data: Any = _json(nullable=True)
    lease_until: datetime | None = _when(nullable=True)  # a claim older than this was abandoned (crash)
    chart_posted_at: datetime | None = _when(nullable=True)


class SlackEvent(SQLModel, table=True):
    """An Events API event_id this service has taken on: Slack's redeliveries of it are acked and skipped.

    The primary key makes the claim atomic across replicas; rows older than a day are pruned (Slack stops
    retrying an event within minutes)."""

    event_id: str = Field(primary_key=True, max_length=64)
    received_at: datetime = _when(nullable=False, index=True)


class SigningKey(SQLModel, table=True):
    """The service's Ed25519 receipt key (one row: replicas sharing a database share it)."""

    id: int = Field(default=1, primary_key=True)
    key_id: str = Field(max_length=16)
    private_key: str = _text(nullable=False)  # PKCS#8 PEM
    created_at: datetime = _when(nullable=False)


class Receipt(SQLModel, table=True):
    """The signed receipt of a proposal's final decision, stored once so every delivery sends the same bytes."""

    proposal_id: str = Field(primary_key=True, foreign_key="proposal.id", max_length=36)
    key_id: str = Field(max_length=16)
    body: Any = _json(nullable=False)
    signature: str = Field(max_length=100)
    created_at: datetime = _when(nullable=False)
