"""@requires_approval: propose the call, wait for people, then run it with what they approved, or raise why not."""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from countersign.arguments import CallShape, jsonable
from countersign.client import DEFAULT_POLL, AsyncCountersign, Countersign
from countersign.errors import CountersignError
from countersign.models import Proposal
from countersign.outcomes import Cancelled, Expired, NotApproved, NotExecuted, Rejected, TimedOut, ensure_approved

__all__ = ["Cancelled", "Expired", "Gate", "NotApproved", "NotExecuted", "Rejected", "TimedOut", "requires_approval"]

log = logging.getLogger("countersign")
F = TypeVar("F", bound=Callable[..., Any])
Summary = str | Callable[..., str] | None


@dataclass
class Gate:
    """One guarded action: where to propose it and how long to wait. Shared by the decorator and the adapters."""

    client: Countersign | AsyncCountersign
    workflow: str
    action: str
    summary: Summary = None
    timeout: float | None = None
    poll: float = DEFAULT_POLL
    requested_by: str | None = None
    callback_url: str | None = None

    def describe(self, shape: CallShape, payload: dict[str, Any]) -> str:
        """The one-line summary people read in Slack."""
        if callable(self.summary):
            return str(self.summary(**payload))
        if self.summary:
            return self.summary
        doc = inspect.getdoc(shape.fn)
        return doc.splitlines()[0] if doc else f"{shape.name.replace('_', ' ')} ({self.workflow}/{self.action})"

    def decide(self, summary: str, payload: Any, *, idempotency_key: str | None = None) -> Proposal:
        """Propose and wait (blocking client)."""
        assert isinstance(self.client, Countersign)
        p = self.client.propose(
            self.workflow,
            self.action,
            summary,
            payload,
            requested_by=self.requested_by,
            callback_url=self.callback_url,
            idempotency_key=idempotency_key,
        )
        return p if p.is_final else self.client.wait(p.id, timeout=self.timeout, poll=self.poll)

    async def adecide(self, summary: str, payload: Any, *, idempotency_key: str | None = None) -> Proposal:
        """Propose and wait; a blocking client runs on a worker thread so the event loop keeps going."""
        if isinstance(self.client, Countersign):
            return await asyncio.to_thread(self.decide, summary, payload, idempotency_key=idempotency_key)
        p = await self.client.propose(
            self.workflow,
            self.action,
            summary,
            payload,
            requested_by=self.requested_by,
            callback_url=self.callback_url,
            idempotency_key=idempotency_key,
        )
        return p if p.is_final else await self.client.wait(p.id, timeout=self.timeout, poll=self.poll)

    def report(self, p: Proposal, *, ok: bool, result: Any = None, error: str | None = None) -> None:
        """Tell the service how a callback action went. A failure to report is logged, not raised: the action
        already happened, and raising would invite the caller to do it a second time."""
        if not p.awaits_result:
            return
        try:
            assert isinstance(self.client, Countersign)
            self.client.report_result(p.id, ok, jsonable(result) if ok else None, error)
        except CountersignError:
            log.exception("could not report the result of proposal %s; it stays 'skipped' until reported", p.id)

    async def areport(self, p: Proposal, *, ok: bool, result: Any = None, error: str | None = None) -> None:
        """report() for async code."""
        if not p.awaits_result:
            return
        if isinstance(self.client, Countersign):
            await asyncio.to_thread(self.report, p, ok=ok, result=result, error=error)
            return
        try:
            await self.client.report_result(p.id, ok, jsonable(result) if ok else None, error)
        except CountersignError:
            log.exception("could not report the result of proposal %s; it stays 'skipped' until reported", p.id)


def failure_text(exc: BaseException) -> str:
    """How a failed execution is reported (the service keeps up to 10,000 characters)."""
    return f"{type(exc).__name__}: {exc}"[:10_000]


def requires_approval(
    client: Countersign | AsyncCountersign,
    *,
    workflow: str,
    action: str,
    summary: Summary = None,
    timeout: float | None = None,
    poll: float = DEFAULT_POLL,
    requested_by: str | None = None,
    callback_url: str | None = None,
    exclude: tuple[str, ...] = (),
) -> Callable[[F], F]:
    """Guard a function (sync or async): its bound arguments are proposed, and it runs only once approved.

    `summary` is a string or a callable receiving the arguments; `timeout` bounds the wait (None: wait until decided).
    Raises Rejected, Expired, Cancelled, TimedOut or NotExecuted instead of running. Example::

        @requires_approval(cs, workflow="refunds", action="issue_refund",
                           summary=lambda order_id, amount: f"Refund {amount} on {order_id}")
        def issue_refund(order_id: str, amount: float) -> dict: ...
    """
    gate = Gate(client, workflow, action, summary, timeout, poll, requested_by, callback_url)

    def decorate(fn: F) -> F:
        shape = CallShape(fn, exclude)
        if inspect.iscoroutinefunction(fn):
            return functools.wraps(fn)(_async_wrapper(gate, shape))  # type: ignore[return-value]
        if isinstance(client, AsyncCountersign):
            raise TypeError(f"{shape.name}() is synchronous: guard it with Countersign, not AsyncCountersign")
        return functools.wraps(fn)(_sync_wrapper(gate, shape))  # type: ignore[return-value]

    return decorate


def _sync_wrapper(gate: Gate, shape: CallShape) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        payload, kept = shape.split(args, kwargs)
        p = ensure_approved(gate.decide(gate.describe(shape, payload), payload))
        try:
            call = shape.bind(p.payload, kept)
            result = shape.fn(*call.args, **call.kwargs)
        except Exception as exc:
            gate.report(p, ok=False, error=failure_text(exc))
            raise
        gate.report(p, ok=True, result=result)
        return result

    return wrapper


def _async_wrapper(gate: Gate, shape: CallShape) -> Callable[..., Any]:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        payload, kept = shape.split(args, kwargs)
        p = ensure_approved(await gate.adecide(gate.describe(shape, payload), payload))
        try:
            call = shape.bind(p.payload, kept)
            result = await shape.fn(*call.args, **call.kwargs)
        except Exception as exc:
            await gate.areport(p, ok=False, error=failure_text(exc))
            raise
        await gate.areport(p, ok=True, result=result)
        return result

    return wrapper
