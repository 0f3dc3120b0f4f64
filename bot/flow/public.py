"""The one public shape of a proposal, returned by every API endpoint and sent to callbacks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session

from bot.enums import ExecutionStatus, ProposalKind, ProposalStatus, Route, WorkKind
from bot.receipts import issue as receipts
from bot.store import due, proposals
from bot.store.models import Proposal


class ApprovalOut(BaseModel):
    user: str
    at: datetime


class ExecutionOut(BaseModel):
    status: ExecutionStatus
    attempts: int
    result: Any = None
    error: str | None = None
    finished_at: datetime | None = None


class SlackOut(BaseModel):
    channel: str | None = None
    ts: str | None = None
    permalink: str | None = None


class ProblemOut(BaseModel):
    path: str
    message: str


class CallbackOut(BaseModel):
    """Delivery of one final state to the agent's callback_url."""

    event: str
    state: str  # pending (being retried) | done | dead (gave up; see last_error)
    attempts: int
    last_error: str | None = None


class ProposalPublic(BaseModel):
    id: str
    kind: ProposalKind
    workflow: str
    action: str
    status: ProposalStatus
    route: Route
    reason: str
    summary: str
    payload: Any
    original_payload: Any
    edited: bool
    diff: list[dict[str, Any]]
    problems: list[ProblemOut]
    required_approvals: int
    approvals: list[ApprovalOut]
    decided_by: str | None
    decision_reason: str | None
    execution: ExecutionOut
    mode: str
    created_at: datetime
    decided_at: datetime | None
    expires_at: datetime | None
    slack: SlackOut
    requested_by: str | None
    idempotency_key: str | None
    duplicate_of: str | None
    version: int
    escalation_level: int
    links: list[dict[str, str]]
    callbacks: list[CallbackOut] = []
    receipt: dict[str, Any] | None = None  # the signed decision receipt once decided (docs/receipts.md)


def public(
    p: Proposal,
    approvals: list[ApprovalOut],
    callbacks: list[CallbackOut] | None = None,
    receipt: dict[str, Any] | None = None,
) -> ProposalPublic:
    """Build the public shape from a row and its current-version approvals."""
    return ProposalPublic(
        id=p.id,
        kind=p.kind,
        workflow=p.workflow,
        action=p.action,
        status=p.status,
        route=p.route,
        reason=p.reason,
        summary=p.summary,
        payload=p.payload,
        original_payload=p.original_payload,
        edited=p.edited,
        diff=p.diff,
        problems=[ProblemOut(**x) for x in p.problems],
        required_approvals=p.required_approvals,
        approvals=approvals,
        decided_by=p.decided_by,
        decision_reason=p.decision_reason,
        execution=ExecutionOut(
            status=p.execution_status,
            attempts=p.execution_attempts,
            result=p.execution_result,
            error=p.execution_error,
            finished_at=p.executed_at,
        ),
        mode=p.mode,
        created_at=p.created_at,
        decided_at=p.decided_at,
        expires_at=p.expires_at,
        slack=SlackOut(channel=p.slack_channel, ts=p.slack_ts, permalink=p.slack_permalink),
        requested_by=p.requested_by,
        idempotency_key=p.idempotency_key,
        duplicate_of=p.duplicate_of,
        version=p.version,
        escalation_level=p.escalation_level,
        links=p.links,
        callbacks=callbacks or [],
        receipt=receipt,
    )


def load_public(session: Session, proposal_id: str) -> ProposalPublic | None:
    """Read a proposal with its approvals of the current payload version."""
    p = proposals.get(session=session, proposal_id=proposal_id)
    if p is None:
        return None
    rows = proposals.approvals(session=session, proposal_id=p.id, version=p.version)
    deliveries = due.for_proposal(session=session, proposal_id=p.id, kind=WorkKind.CALLBACK) if p.callback_url else []
    return public(
        p,
        [ApprovalOut(user=a.user, at=a.at) for a in rows],
        [
            CallbackOut(event=d.data["event"], state=d.state, attempts=d.attempts, last_error=d.last_error)
            for d in deliveries
        ],
        receipts.stored(session, p.id) if p.status != ProposalStatus.PENDING else None,
    )
