"""Fault injection: queued failures, random failures and slowness, outages, per-channel rate limits."""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

DEFAULT_ERRORS = {429: "ratelimited", 500: "internal_error", 502: "bad_gateway", 503: "service_unavailable"}


@dataclass
class Fault:
    """What to do to one call: answer with an error and/or delay it first."""

    status: int | None = None  # None: no error, only the delay
    error: str | None = None
    retry_after: int | None = None
    delay: float = 0.0  # seconds to stall before answering (provokes client timeouts)

    def response(self) -> tuple[int, dict[str, Any], dict[str, str]]:
        """(HTTP status, JSON body, headers) Slack would send for this fault."""
        status = self.status or 500
        body = {"ok": False, "error": self.error or DEFAULT_ERRORS.get(status, "fatal_error")}
        headers = {}
        if status == 429:
            headers["Retry-After"] = str(1 if self.retry_after is None else self.retry_after)
        elif self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        return status, body, headers


class Faults:
    """The fault plan of one FakeSlack; thread-safe, consulted once per Web API call."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._queue: list[tuple[str, Fault]] = []
        self._random: tuple[float, frozenset[str] | None, list[Any], float, random.Random] | None = None
        self.down = False
        self._limit: tuple[float, float] | None = None  # (per second, burst)
        self._buckets: dict[str, tuple[float, float]] = {}  # channel -> (tokens, last refill time)

    def fail_next(
        self,
        method: str,
        status: int | None = None,
        retry_after: int | None = None,
        error: str | None = None,
        count: int = 1,
    ) -> None:
        """Fail the next `count` calls of `method` ('*' = any); with only `error`, answer HTTP 200 ok:false."""
        fault = Fault(status or (200 if error else 500), error, retry_after)
        with self._lock:
            self._queue.extend((method, fault) for _ in range(count))

    def fail_rate(
        self,
        p: float,
        methods: Iterable[str] | None = None,
        statuses: Iterable[int] = (429, 500, 503),
        timeout_seconds: float | None = None,
        seed: int = 0,
    ) -> None:
        """Fail a fraction `p` of calls at random (reproducible by seed); slow ones stall `timeout_seconds`."""
        kinds: list[Any] = list(statuses) + (["slow"] if timeout_seconds else [])
        scope = frozenset(methods) if methods is not None else None
        with self._lock:
            self._random = (p, scope, kinds, float(timeout_seconds or 0), random.Random(seed))

    def rate_limit(self, per_channel_per_second: float | None = 1.0, burst: int = 3) -> None:
        """Enforce chat.postMessage per channel with a token bucket; None turns it off."""
        with self._lock:
            self._limit = None if per_channel_per_second is None else (per_channel_per_second, float(burst))
            self._buckets.clear()

    def clear(self) -> None:
        """Drop every planned fault, outage and limit."""
        with self._lock:
            self._queue.clear()
            self._random, self.down, self._limit = None, False, None
            self._buckets.clear()

    def before(self, method: str) -> Fault | None:
        """The fault to apply to this call, if any (outage, queued, then random)."""
        with self._lock:
            if self.down:
                return Fault(503)
            for i, (target, fault) in enumerate(self._queue):
                if target in (method, "*"):
                    del self._queue[i]
                    return fault
            if self._random is None:
                return None
            p, scope, kinds, delay, rng = self._random
            if (scope is not None and method not in scope) or rng.random() >= p or not kinds:
                return None
            kind = rng.choice(kinds)
            return Fault(delay=delay) if kind == "slow" else Fault(int(kind))

    def throttle(self, method: str, channel: Any) -> Fault | None:
        """A 429 with Retry-After when chat.postMessage exceeds the per-channel rate."""
        if method != "chat.postMessage" or not channel:
            return None
        with self._lock:
            if self._limit is None:
                return None
            rate, burst = self._limit
            now = float(self._clock())
            tokens, last = self._buckets.get(str(channel), (burst, now))
            tokens = min(burst, tokens + (now - last) * rate)
            if tokens < 1:
                self._buckets[str(channel)] = (tokens, now)
                return Fault(429, retry_after=max(1, math.ceil((1 - tokens) / rate)))
            self._buckets[str(channel)] = (tokens - 1, now)
            return None


class FaultControls:
    """Mixin exposing the fault plan on FakeSlack; "response_url" and "upload" name the non-API routes."""

    faults: Faults

    def fail_next(
        self,
        method: str,
        status: int | None = None,
        retry_after: int | None = None,
        error: str | None = None,
        count: int = 1,
    ) -> None:
        """Fail the next `count` calls of `method` with HTTP `status` (or HTTP 200 + `error`)."""
        self.faults.fail_next(method, status, retry_after, error, count)

    def fail_rate(
        self,
        p: float,
        methods: Iterable[str] | None = None,
        statuses: Iterable[int] = (429, 500, 503),
        timeout_seconds: float | None = None,
        seed: int = 0,
    ) -> None:
        """Fail a random fraction of calls; with timeout_seconds some calls stall that long, then succeed."""
        self.faults.fail_rate(p, methods, statuses, timeout_seconds, seed)

    def set_down(self, down: bool) -> None:
        """Every call answers 503 while down."""
        self.faults.down = down

    @contextmanager
    def outage(self) -> Iterator[None]:
        """`with slack.outage():` every call answers 503."""
        self.set_down(True)
        try:
            yield
        finally:
            self.set_down(False)

    def rate_limit(self, per_channel_per_second: float | None = 1.0, burst: int = 3) -> None:
        """Enforce chat.postMessage ~1/s/channel (429 + Retry-After); None turns it off."""
        self.faults.rate_limit(per_channel_per_second, burst)
