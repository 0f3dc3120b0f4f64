"""What each client call does, written once as a generator of HTTP calls and sleeps (the sync and async clients only
drive it), so retries and the wait loop behave identically in both."""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, TypeVar

from countersign.errors import ConnectionFailed, CountersignError, ServiceUnavailable, from_response
from countersign.models import Proposal

T = TypeVar("T")
MAX_LONG_POLL = 120.0  # the server refuses a longer single wait (422)


@dataclass(frozen=True)
class Call:
    """One HTTP request; `long_poll` seconds are added to the read timeout."""

    method: str
    path: str
    json: Any = None
    params: dict[str, Any] | None = None
    long_poll: float = 0.0


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Retry:
    """Bounded exponential backoff for connection errors and 503s."""

    retries: int = 4
    backoff: float = 0.5
    max_backoff: float = 10.0

    def delay(self, attempt: int, exc: Exception) -> float:
        """Seconds before attempt `attempt + 1`; a 503's Retry-After wins when it is longer."""
        delay = min(self.max_backoff, self.backoff * 2**attempt)
        hint = getattr(exc, "retry_after", None)
        return max(delay, min(hint, self.max_backoff)) if hint else delay


Plan = Generator[Call | Sleep, Any, T]
TRANSIENT = (ConnectionFailed, ServiceUnavailable)


def body_of(response: Any) -> dict[str, Any]:
    """The JSON object of a 2xx response, or the typed exception for an error."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if response.status_code >= 400:
        if not isinstance(data, dict):
            data = {"error": response.text[:500] or f"HTTP {response.status_code}"}
        raise from_response(response.status_code, data, response.headers)
    if not isinstance(data, dict):
        raise CountersignError(
            f"unexpected response from {response.request.url}: not a JSON object (is the URL the Countersign service?)",
            status=response.status_code,
        )
    return data


def once(call: Call) -> Plan[Proposal]:
    """One attempt (for calls that are not safe to repeat blindly, such as cancel and report_result)."""
    return Proposal.model_validate(body_of((yield call)))


def retried(call: Call, retry: Retry) -> Plan[Proposal]:
    """Repeat on connection errors and 503 (only for calls that are safe to repeat: reads, idempotency keys)."""
    attempt = 0
    while True:
        try:
            return Proposal.model_validate(body_of((yield call)))
        except TRANSIENT as exc:
            if attempt >= retry.retries:
                raise
            yield Sleep(retry.delay(attempt, exc))
            attempt += 1


def wait(proposal_id: str, *, timeout: float | None, poll: float, retry: Retry) -> Plan[Proposal]:
    """Long-poll until a final decision or `timeout`; a dropped connection resumes waiting (never re-proposes)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    failures = 0
    while True:
        left = MAX_LONG_POLL if deadline is None else max(0.0, deadline - time.monotonic())
        chunk = round(min(poll, left, MAX_LONG_POLL), 3)
        call = Call("GET", f"/api/v1/proposals/{proposal_id}/wait", params={"timeout": chunk}, long_poll=chunk)
        try:
            proposal = Proposal.model_validate(body_of((yield call)))
        except TRANSIENT as exc:
            failures += 1
            if failures > retry.retries:
                raise
            yield Sleep(retry.delay(failures - 1, exc))
            continue
        failures = 0  # the budget is for consecutive failures: a long wait may survive several outages
        if proposal.is_final or (deadline is not None and time.monotonic() >= deadline):
            return proposal


def run_sync(plan: Plan[T], send: Any) -> T:
    """Drive a plan with a blocking `send(call) -> response` (raising ConnectionFailed)."""
    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            step = plan.throw(error) if error is not None else plan.send(value)
        except StopIteration as done:
            return done.value
        value, error = None, None
        if isinstance(step, Sleep):
            time.sleep(step.seconds)
            continue
        try:
            value = send(step)
        except ConnectionFailed as exc:
            error = exc


async def run_async(plan: Plan[T], send: Any) -> T:
    """Drive a plan with an awaitable `send(call) -> response` (raising ConnectionFailed)."""
    import asyncio

    value: Any = None
    error: BaseException | None = None
    while True:
        try:
            step = plan.throw(error) if error is not None else plan.send(value)
        except StopIteration as done:
            return done.value
        value, error = None, None
        if isinstance(step, Sleep):
            await asyncio.sleep(step.seconds)
            continue
        try:
            value = await send(step)
        except ConnectionFailed as exc:
            error = exc
