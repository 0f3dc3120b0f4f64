"""Side effects are never done inline: they are queued as due work in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.enums import ExecutionStatus, ProposalStatus, WorkKind
from bot.flow.context import Services
from bot.flow.transitions import transition
from bot.receipts import issue as receipts
from bot.store import due
from bot.store.models import Proposal


def queue_post(s: Session, p: Proposal, now: datetime) -> None:
    """Post the proposal's message (once, whatever happens)."""
    due.enqueue(
        session=s,
        kind=WorkKind.SLACK_POST,
        proposal_id=p.id,
        due_at=now,
        now=now,
        dedupe_key=f"post:{p.id}",
        max_attempts=1000,
    )


def queue_update(s: Session, p: Proposal, now: datetime) -> None:
    """Re-render the proposal's message in place."""
    due.enqueue(session=s, kind=WorkKind.SLACK_UPDATE, proposal_id=p.id, due_at=now, now=now, max_attempts=1000)


def queue_note(s: Session, p: Proposal, kind: str, now: datetime, **data: Any) -> None:
    """Post a reply in the proposal's thread."""
    due.enqueue(
        session=s,
        kind=WorkKind.SLACK_NOTE,
        proposal_id=p.id,
        due_at=now,
        now=now,
        data={"kind": kind, **data},
        max_attempts=1000,
    )


def queue_callback(s: Session, p: Proposal, event: str, now: datetime) -> None:
    """Tell the agent about a final state at its callback_url."""
    if p.callback_url:
        due.enqueue(
            session=s,
            kind=WorkKind.CALLBACK,
            proposal_id=p.id,
            due_at=now,
            now=now,
            data={"event": event},
            dedupe_key=f"callback:{p.id}:{event}",
            max_attempts=12,
        )


def start_execution(s: Session, svc: Services, p: Proposal, now: datetime) -> None:
    """Queue the connector call for an approved proposal, or mark it skipped (shadow mode, agent executes)."""
    act = svc.policies.workflow(p.workflow).action(p.action)
    if p.mode == "shadow" or svc.connectors.executes_remotely(act):
        transition(s, p.id, column="execution_status", before=ExecutionStatus.NONE, after=ExecutionStatus.SKIPPED)
        return
    transition(s, p.id, column="execution_status", before=ExecutionStatus.NONE, after=ExecutionStatus.QUEUED)
    due.enqueue(
        session=s,
        kind=WorkKind.EXECUTE,
        proposal_id=p.id,
        due_at=now,
        now=now,
        dedupe_key=f"execute:{p.id}",
        max_attempts=1000,
    )


def after_decision(s: Session, svc: Services, p: Proposal, now: datetime) -> None:
    """Everything a final decision sets in motion: its signed receipt, message update, execution, agent callback,
    and (on commit) the agent's long-polls waking up."""
    receipts.issue(s, svc, p)
    svc.decisions.announce(s, p.id)
    queue_update(s, p, now)
    if p.status == ProposalStatus.APPROVED:
        start_execution(s, svc, p, now)
    queue_callback(s, p, "decision", now)
