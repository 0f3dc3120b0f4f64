"""OpenAI Agents SDK: a function tool that runs only once people approve it in Countersign.

The guard proposes the tool call's arguments, waits, runs the function with the approved (maybe edited) arguments,
and otherwise returns a plain sentence to the model (rejected with the reason, expired, still pending) instead of
raising, so the model can tell the user what happened rather than retrying blindly.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any

from agents import FunctionTool, RunContextWrapper, function_tool

from countersign.arguments import CallShape
from countersign.client import DEFAULT_POLL, AsyncCountersign, Countersign
from countersign.decorators import Gate, Summary, failure_text
from countersign.outcomes import NotApproved, ensure_approved, explain

__all__ = ["guarded_tool"]
# Calling the tool again would propose the action a second time, so the model is told to stop and say so instead.
STILL_PENDING = "Tell the user it is waiting for a person's approval; do not call this tool again for it."


def _context_params(fn: Callable[..., Any]) -> tuple[str, ...]:
    """The SDK passes its run context as the first parameter when annotated so; that is never payload."""
    params = list(inspect.signature(fn).parameters)
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # noqa: BLE001 - unresolvable hints: no parameter is taken for the run context
        return ()
    first = hints.get(params[0]) if params else None
    origin = typing.get_origin(first) or first
    return (params[0],) if isinstance(origin, type) and issubclass(origin, RunContextWrapper) else ()


def guarded_tool(
    client: Countersign | AsyncCountersign,
    *,
    workflow: str,
    action: str,
    summary: Summary = None,
    timeout: float | None = None,
    poll: float = DEFAULT_POLL,
    requested_by: str | None = None,
    **tool_options: Any,
) -> Callable[[Callable[..., Any]], FunctionTool]:
    """Like `@function_tool`, but each call is approved in Countersign first. Extra options go to function_tool.

    @guarded_tool(cs, workflow="refunds", action="issue_refund", summary="Refund requested by the agent")
    def issue_refund(order_id: str, amount: float, currency: str, reason: str) -> str: ...
    """
    gate = Gate(client, workflow, action, summary, timeout, poll, requested_by)

    def decorate(fn: Callable[..., Any]) -> FunctionTool:
        shape = CallShape(fn, exclude=_context_params(fn))
        if inspect.iscoroutinefunction(fn) or isinstance(client, AsyncCountersign):
            return function_tool(functools.wraps(fn)(_async_guard(gate, shape)), **tool_options)
        return function_tool(functools.wraps(fn)(_sync_guard(gate, shape)), **tool_options)

    return decorate


def _sync_guard(gate: Gate, shape: CallShape) -> Callable[..., Any]:
    def guard(*args: Any, **kwargs: Any) -> Any:
        payload, kept = shape.split(args, kwargs)
        p = gate.decide(gate.describe(shape, payload), payload)
        try:
            ensure_approved(p)
        except NotApproved:
            return explain(p, pending=STILL_PENDING)
        try:
            call = shape.bind(p.payload, kept)
            result = shape.fn(*call.args, **call.kwargs)
        except Exception as exc:
            gate.report(p, ok=False, error=failure_text(exc))
            raise  # the SDK turns it into an error message for the model (failure_error_function)
        gate.report(p, ok=True, result=result)
        return result

    return guard


def _async_guard(gate: Gate, shape: CallShape) -> Callable[..., Any]:
    async def guard(*args: Any, **kwargs: Any) -> Any:
        payload, kept = shape.split(args, kwargs)
        p = await gate.adecide(gate.describe(shape, payload), payload)
        try:
            ensure_approved(p)
        except NotApproved:
            return explain(p, pending=STILL_PENDING)
        try:
            call = shape.bind(p.payload, kept)
            if inspect.iscoroutinefunction(shape.fn):
                result = await shape.fn(*call.args, **call.kwargs)
            else:  # a blocking tool under the async client: keep the event loop free
                result = await asyncio.to_thread(shape.fn, *call.args, **call.kwargs)
        except Exception as exc:
            await gate.areport(p, ok=False, error=failure_text(exc))
            raise
        await gate.areport(p, ok=True, result=result)
        return result

    return guard
