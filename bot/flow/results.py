"""Execution outcomes decided outside the connector: the agent's own report, and humans after a failure."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bot.enums import ExecutionStatus, ProposalStatus, WorkKind
from bot.errors import InvalidTransition, NotAuthorized
from bot.flow import effects, lookup
from bot.flow.authz import may_handle
from bot.flow.change import Change, changing
from bot.flow.context import Services
from bot.flow.public import ProposalPublic
from bot.store import due
from bot.store.models import Proposal


def report(svc: Services, *, proposal_id: str, agent: str, ok: bool, result: Any, error: str | None) -> ProposalPublic:
    """The agent reports how its own execution went (callback connector, or when nothing was executed for it)."""
    after = ExecutionStatus.SUCCEEDED if ok else ExecutionStatus.FAILED
    with changing(svc, proposal_id, agent=agent) as c:
        p = c.p
        if p.mode == "shadow":
            raise InvalidTransition("no result expected: nothing runs in shadow mode", status=p.status)
        if (
            p.status not in {ProposalStatus.APPROVED, ProposalStatus.AUTO_APPROVED}
            or p.execution_status != ExecutionStatus.SKIPPED
        ):
            raise InvalidTransition(
                f"no result expected: status {p.status}, execution {p.execution_status}", status=p.status
            )
        failure = None if ok else (error or "reported as failed")
        c.move(
            "execution_status",
            ExecutionStatus.SKIPPED,
            after,
            executed_at=c.now,
            execution_result=result,
            execution_error=failure,
        )
        fresh = c.fresh()
        effects.queue_update(c.s, fresh, c.now)
        effects.queue_note(c.s, fresh, "reported", c.now, ok=ok, error=fresh.execution_error)
        c.record(f"agent:{agent}", "execution", before=ExecutionStatus.SKIPPED, after=after, reason=failure)
    return lookup.get(svc, proposal_id)


def retry(svc: Services, *, proposal_id: str, user: str) -> None:
    """A human asks for another attempt after a final failure."""
    with _handling(svc, proposal_id, user, "retry") as c:
        c.move("execution_status", ExecutionStatus.FAILED, ExecutionStatus.QUEUED, execution_attempts=0)
        due.enqueue(session=c.s, kind=WorkKind.EXECUTE, proposal_id=c.p.id, due_at=c.now, now=c.now, max_attempts=1000)
        effects.queue_update(c.s, c.p, c.now)
        c.record(user, "execution_retry", before=ExecutionStatus.FAILED, after=ExecutionStatus.QUEUED)


def mark_done(svc: Services, *, proposal_id: str, user: str) -> None:
    """A human did the action by hand; record it as succeeded."""
    with _handling(svc, proposal_id, user, "mark_done") as c:
        c.move(
            "execution_status",
            ExecutionStatus.FAILED,
            ExecutionStatus.SUCCEEDED,
            executed_at=c.now,
            execution_result={"summary": f"done by hand by {user}"},
        )
        fresh = c.fresh()
        effects.queue_update(c.s, fresh, c.now)
        effects.queue_callback(c.s, fresh, "execution", c.now)
        c.record(user, "execution_done_by_hand", before=ExecutionStatus.FAILED, after=ExecutionStatus.SUCCEEDED)


def give_up(svc: Services, *, proposal_id: str, user: str) -> None:
    """A human closes a failed execution for good: it stays failed, and the message says who gave up."""
    with _handling(svc, proposal_id, user, "give_up") as c:
        c.set(
            execution_error=f"{c.p.execution_error} (given up by {user})",
            execution_result={"given_up_by": user},
        )
        effects.queue_update(c.s, c.p, c.now)
        c.record(user, "execution_given_up", before=ExecutionStatus.FAILED, after=ExecutionStatus.FAILED)


@contextmanager
def _handling(svc: Services, proposal_id: str, user: str, attempt: str) -> Iterator[Change]:
    """A change of the proposal's failed execution, if `user` may handle it (refusals are audited, then raised)."""
    with changing(svc, proposal_id) as c:
        state = c.p.execution_status
        if not may_handle(svc, c.p, user):
            # Retrying or closing an execution is a decision too: same people as for the proposal, plus the owner.
            refusal = NotAuthorized(
                "only the workflow owner or the deciders of this proposal may handle its failed execution"
            )
            c.refuse(refusal, actor=user, attempt=attempt, state=state)
        if state != ExecutionStatus.FAILED:
            raise InvalidTransition(f"execution is {state}, not failed", status=state)
        if given_up_by(c.p):
            # Final is final: a Retry or Mark done from an older rendering of the message changes nothing.
            raise InvalidTransition(f"{given_up_by(c.p)} gave up on this execution; that is final", status=state)
        yield c


def given_up_by(p: Proposal) -> str | None:
    """Who closed this failed execution for good, if anyone."""
    result = p.execution_result
    return str(result["given_up_by"]) if isinstance(result, dict) and result.get("given_up_by") else None
