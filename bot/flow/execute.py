"""Run an approved action through its connector; record the result; retry or escalate failures."""

from __future__ import annotations

from datetime import timedelta

import structlog

from bot.enums import ExecutionStatus
from bot.flow import effects
from bot.flow.context import Services
from bot.flow.outbox import Retry, backoff
from bot.flow.transitions import transition
from bot.store import audit, proposals
from bot.store.db import session_scope
from bot.store.models import Proposal
from connectors.base import ConnectorError

log = structlog.get_logger(__name__)
MAX_EXECUTION_ATTEMPTS = 5


def run(svc: Services, *, proposal_id: str) -> None:
    """Execute once (the proposal id is the idempotency key, so a retry after a crash is recognisable)."""
    p = _claim(svc, proposal_id)
    if p is None:
        return
    connector = svc.connectors.for_action(p.workflow, p.action)
    try:
        result = connector.execute(p.action, p.payload, p.id)
    except ConnectorError as exc:
        _failed(svc, p, exc.message, exc.retryable, exc.details.get("retry_after"))
    except Exception as exc:  # a connector bug must be recorded and retried, never lost with the thread
        log.exception("connector crashed", proposal=p.id, connector=type(connector).__name__)
        _failed(svc, p, f"{type(exc).__name__}: {exc}", True, None)
    else:
        _succeeded(svc, p, result.summary, result.data)


def _claim(svc: Services, proposal_id: str) -> Proposal | None:
    with session_scope(svc.engine) as s:
        p = proposals.get_locked(session=s, proposal_id=proposal_id)
        if p is None or p.execution_status not in {ExecutionStatus.QUEUED, ExecutionStatus.RUNNING}:
            return None  # already finished, skipped, or never approved
        attempts = p.execution_attempts + 1
        if p.execution_status == ExecutionStatus.QUEUED:
            transition(
                s,
                p.id,
                column="execution_status",
                before=ExecutionStatus.QUEUED,
                after=ExecutionStatus.RUNNING,
                execution_attempts=attempts,
            )
        else:  # a previous run died mid-call (crash, lease lost): run again with the same key
            proposals.set_fields(session=s, proposal_id=p.id, values={"execution_attempts": attempts})
        return proposals.get(session=s, proposal_id=p.id)


def _succeeded(svc: Services, p: Proposal, summary: str, data: dict) -> None:
    now = svc.clock.now()
    with session_scope(svc.engine) as s:
        if not transition(
            s,
            p.id,
            column="execution_status",
            before=ExecutionStatus.RUNNING,
            after=ExecutionStatus.SUCCEEDED,
            execution_result={"summary": summary, **data},
            execution_error=None,
            executed_at=now,
        ):
            return
        fresh = proposals.get(session=s, proposal_id=p.id)
        effects.queue_update(s, fresh, now)
        effects.queue_note(s, fresh, "executed", now, summary=summary, attempts=fresh.execution_attempts)
        effects.queue_callback(s, fresh, "execution", now)
        audit.append(
            session=s,
            actor="countersign",
            action="execution",
            at=now,
            proposal_id=p.id,
            before=ExecutionStatus.RUNNING,
            after=ExecutionStatus.SUCCEEDED,
            reason=summary,
            data={"attempts": fresh.execution_attempts},
        )
    svc.kick()


def _failed(svc: Services, p: Proposal, error: str, retryable: bool, retry_after: float | None) -> None:
    now = svc.clock.now()
    final = not retryable or p.execution_attempts >= MAX_EXECUTION_ATTEMPTS
    with session_scope(svc.engine) as s:
        after = ExecutionStatus.FAILED if final else "queued"
        if not transition(
            s,
            p.id,
            column="execution_status",
            before=ExecutionStatus.RUNNING,
            after=after,
            execution_error=error,
            executed_at=now if final else None,
        ):
            return
        fresh = proposals.get(session=s, proposal_id=p.id)
        audit.append(
            session=s,
            actor="countersign",
            action="execution",
            at=now,
            proposal_id=p.id,
            before=ExecutionStatus.RUNNING,
            after=after,
            reason=error,
            data={"attempts": fresh.execution_attempts, "retryable": retryable},
        )
        if final:
            owner = svc.policies.workflow(p.workflow).owner
            effects.queue_update(s, fresh, now)
            effects.queue_note(
                s, fresh, "execution_failed", now, error=error, attempts=fresh.execution_attempts, owner=owner
            )
            effects.queue_callback(s, fresh, "execution", now)
    log.warning("execution failed", proposal=p.id, error=error, attempt=p.execution_attempts, final=final)
    if not final:
        wait = timedelta(seconds=retry_after) if retry_after else backoff(p.execution_attempts, base=30)
        raise Retry(error, wait)
    svc.kick()
