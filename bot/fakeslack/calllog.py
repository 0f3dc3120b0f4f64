"""The request log: every call to the fake, and a blocking wait for calls made by other threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from bot.fakeslack.records import Call


class CallLog:
    """Mixin recording (method, args, status, response, time) per request; FakeSlack inherits it."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._log_clock = clock
        self._calls: list[Call] = []
        self._logged = threading.Condition()  # notified on every call, so wait_for sleeps instead of spinning

    def calls(self, method: str | None = None) -> list[Call]:
        """Logged calls, oldest first, optionally of one method."""
        with self._logged:
            return [c for c in self._calls if method in (None, c.method)]

    def wait_for(
        self, method: str, count: int = 1, timeout: float = 5.0, where: Callable[[Call], bool] | None = None
    ) -> list[Call]:
        """Block until `count` calls of `method` (matching `where`) were logged; AssertionError on timeout."""
        deadline = time.monotonic() + timeout

        def matching() -> list[Call]:
            return [c for c in self._calls if c.method == method and (where is None or where(c))]

        with self._logged:
            while len(matching()) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [c.method for c in self._calls]
                    raise AssertionError(f"waited {timeout}s for {count}x {method}; got {len(matching())}; log: {seen}")
                self._logged.wait(left)
            return matching()

    def _log(self, method: str, args: dict[str, Any], status: int, response: Any) -> None:
        with self._logged:
            self._calls.append(Call(method, args, status, response, float(self._log_clock())))
            self._logged.notify_all()
