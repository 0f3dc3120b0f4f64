"""Execution outcomes decided outside the connector: the agent's own report, and humans after a failure."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlmodel import Session

from bot.enums import ExecutionStatus, ProposalStatus, WorkKind
from bot.errors import InvalidTransition, NotAuthorized, NotFound
from bot.flow import effects
from bot.flow.authz import may_handle
from bot.flow.context import Services
from bot.flow.public import ProposalPublic, load_public
from bot.flow.transitions import transition
from bot.store import audit, due, proposals
from bot.store.db import session_scope
from bot.store.models import Proposal


def report(svc: Services, *, proposal_id: str, agent: str, ok: bool, result: Any, error: str | None) -> ProposalPublic:
    """The agent reports how its own execution went (callback connector, or when nothing was executed for it)."""
    now = svc.clock.now()
    after = ExecutionStatus.SUCCEEDED if ok else "failed"
    with session_scope(svc.engine) as s:
        p = proposals.get_locked(session=s, proposal_id=proposal_id)
        if p is None or p.agent != agent:
            raise NotFound(f"no proposal {proposal_id} for agent {agent!r}")
        if p.mode == "shadow":
            raise InvalidTransition("no result expected: nothing runs in shadow mode", status=p.status)
        if (
            p.status not in {ProposalStatus.APPROVED, ProposalStatus.AUTO_APPROVED}
            or p.execution_status != ExecutionStatus.SKIPPED
        ):
            raise InvalidTransition(
                f"no result expected: status {p.status}, execution {p.execution_status}", status=p.status
            )
        transition(
            s,
            p.id,
            column="execution_status",
            before=ExecutionStatus.SKIPPED,
            after=after,
            executed_at=now,
            execution_result=result,
            execution_error=None if ok else (error or "reported as failed"),
        )
        fresh = proposals.get(session=s, proposal_id=p.id)
        effects.queue_update(s, fresh, now)
        effects.queue_note(s, fresh, "reported", now, ok=ok, error=fresh.execution_error)
        audit.append(
            session=s,
            actor=f"agent:{agent}",
            action="execution",
            at=now,
            proposal_id=p.id,
            before=ExecutionStatus.SKIPPED,
            after=after,
            reason=fresh.execution_error,
        )
        out = load_public(s, p.id)
    svc.kick()
    return out


def retry(svc: Services, *, proposal_id: str, user: str) -> None:
    """A human asks for another attempt after a final failure."""
    now = svc.clock.now()
    with _handling(svc, proposal_id, user, "retry") as (s, p):
        transition(
            s,
            p.id,
            column="execution_status",
            before=ExecutionStatus.FAILED,
            after=ExecutionStatus.QUEUED,
            execution_attempts=0,
        )
        due.enqueue(session=s, kind=WorkKind.EXECUTE, proposal_id=p.id, due_at=now, now=now, max_attempts=1000)
        effects.queue_update(s, p, now)
        audit.append(
            session=s,
            actor=user,
            action="execution_retry",
            at=now,
            proposal_id=p.id,
            before=ExecutionStatus.FAILED,
            after=ExecutionStatus.QUEUED,
        )
    svc.kick()


def mark_done(svc: Services, *, proposal_id: str, user: str) -> None:
    """A human did the action by hand; record it as succeeded."""
    now = svc.clock.now()
    with _handling(svc, proposal_id, user, "mark_done") as (s, p):
        transition(
            s,
            p.id,
            column="execution_status",
            before=ExecutionStatus.FAILED,
            after=ExecutionStatus.SUCCEEDED,
            executed_at=now,
            execution_result={"summary": f"done by hand by {user}"},
        )
        fresh = proposals.get(session=s, proposal_id=p.id)
        effects.queue_update(s, fresh, now)
        effects.queue_callback(s, fresh, "execution", now)
        audit.append(
            session=s,
            actor=user,
            action="execution_done_by_hand",
            at=now,
            proposal_id=p.id,
            before=ExecutionStatus.FAILED,
            after=ExecutionStatus.SUCCEEDED,
        )
    svc.kick()


def give_up(svc: Services, *, proposal_id: str, user: str) -> None:
    """A human closes a failed execution for good: it stays failed, and the message says who gave up."""
    now = svc.clock.now()
    with _handling(svc, proposal_id, user, "give_up") as (s, p):
        proposals.set_fields(
            session=s,
            proposal_id=p.id,
            values={
                "execution_error": f"{p.execution_error} (given up by {user})",
                "execution_result": {"given_up_by": user},
            },
        )
        effects.queue_update(s, p, now)
        audit.append(
            session=s,
            actor=user,
            action="execution_given_up",
            at=now,
            proposal_id=p.id,
            before=ExecutionStatus.FAILED,
            after=ExecutionStatus.FAILED,
        )
    svc.kick()


@contextmanager
def _handling(svc: Services, proposal_id: str, user: str, attempt: str) -> Iterator[tuple[Session, Proposal]]:
    """A transaction holding the locked proposal, if `user` may handle its failed execution.

    A refusal is audited in a transaction of its own (the first one is rolled back), then raised."""
    seen: list[str] = []  # the execution state, read before the rollback expires the row
    try:
        with session_scope(svc.engine) as s:
            p = proposals.get_locked(session=s, proposal_id=proposal_id)
            if p is None:
                raise NotFound(f"no proposal {proposal_id}")
            seen.append(p.execution_status)
            if not may_handle(svc, p, user):
                # Retrying or closing an execution is a decision too: same people as for the proposal, plus the owner.
                raise NotAuthorized(
                    "only the workflow owner or the deciders of this proposal may handle its failed execution"
                )
            if p.execution_status != ExecutionStatus.FAILED:
                raise InvalidTransition(f"execution is {p.execution_status}, not failed", status=p.execution_status)
            if given_up_by(p):
                # Final is final: a Retry or Mark done from an older rendering of the message changes nothing.
                raise InvalidTransition(
                    f"{given_up_by(p)} gave up on this execution; that is final", status=p.execution_status
                )
            yield s, p
    except NotAuthorized as refusal:
        state = seen[0]
        with session_scope(svc.engine) as s:
            audit.refused(
                session=s,
                actor=user,
                attempt=attempt,
                error=refusal,
                at=svc.clock.now(),
                proposal_id=proposal_id,
                state=state,
            )
        raise


def given_up_by(p: Proposal) -> str | None:
    """Who closed this failed execution for good, if anyone."""
    result = p.execution_result
    return str(result["given_up_by"]) if isinstance(result, dict) and result.get("given_up_by") else None
