"""Run an approved action through its connector; record the result; retry or escalate failures."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog

from bot.enums import ExecutionStatus
from bot.errors import NotFound
from bot.flow import effects
from bot.flow.change import changing
from bot.flow.context import Services
from bot.flow.outbox import Retry, backoff
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
        wait = exc.details.get("retry_after")
        _failed(svc, p, exc.message, exc.retryable, float(wait) if isinstance(wait, int | float) else None)
    except Exception as exc:  # a connector bug must be recorded and retried, never lost with the thread
        log.exception("connector crashed", proposal=p.id, connector=type(connector).__name__)
        _failed(svc, p, f"{type(exc).__name__}: {exc}", True, None)
    else:
        _succeeded(svc, p, result.summary, result.data)


def _claim(svc: Services, proposal_id: str) -> Proposal | None:
    try:
        with changing(svc, proposal_id) as c:
            p = c.p
            if p.execution_status not in {ExecutionStatus.QUEUED, ExecutionStatus.RUNNING}:
                return None  # already finished, skipped, or never approved
            attempts = p.execution_attempts + 1
            if p.execution_status == ExecutionStatus.QUEUED:
                c.move("execution_status", ExecutionStatus.QUEUED, ExecutionStatus.RUNNING, execution_attempts=attempts)
            else:  # a previous run died mid-call (crash, lease lost): run again with the same key
                c.set(execution_attempts=attempts)
            return c.fresh()
    except NotFound:
        return None


def _succeeded(svc: Services, p: Proposal, summary: str, data: dict[str, Any]) -> None:
    with changing(svc, p.id) as c:
        if not c.move(
            "execution_status",
            ExecutionStatus.RUNNING,
            ExecutionStatus.SUCCEEDED,
            execution_result={"summary": summary, **data},
            execution_error=None,
            executed_at=c.now,
        ):
            return
        fresh = c.fresh()
        effects.queue_update(c.s, fresh, c.now)
        effects.queue_note(c.s, fresh, "executed", c.now, summary=summary, attempts=fresh.execution_attempts)
        effects.queue_callback(c.s, fresh, "execution", c.now)
        c.record(
            "countersign",
            "execution",
            before=ExecutionStatus.RUNNING,
            after=ExecutionStatus.SUCCEEDED,
            reason=summary,
            data={"attempts": fresh.execution_attempts},
        )


def _failed(svc: Services, p: Proposal, error: str, retryable: bool, retry_after: float | None) -> None:
    final = not retryable or p.execution_attempts >= MAX_EXECUTION_ATTEMPTS
    after = ExecutionStatus.FAILED if final else ExecutionStatus.QUEUED
    with changing(svc, p.id) as c:
        if not c.move(
            "execution_status",
            ExecutionStatus.RUNNING,
            after,
            execution_error=error,
            executed_at=c.now if final else None,
        ):
            return
        fresh = c.fresh()
        data = {"attempts": fresh.execution_attempts, "retryable": retryable}
        c.record("countersign", "execution", before=ExecutionStatus.RUNNING, after=after, reason=error, data=data)
        if final:
            owner = svc.policies.workflow(p.workflow).owner
            effects.queue_update(c.s, fresh, c.now)
            effects.queue_note(
                c.s, fresh, "execution_failed", c.now, error=error, attempts=fresh.execution_attempts, owner=owner
            )
            effects.queue_callback(c.s, fresh, "execution", c.now)
    log.warning("execution failed", proposal=p.id, error=error, attempt=p.execution_attempts, final=final)
    if not final:
        wait = timedelta(seconds=retry_after) if retry_after else backoff(p.execution_attempts, base=30)
        raise Retry(error, wait)
