"""How `countersign serve` (and the sandbox) run uvicorn: slow clients cannot hold connections open.

uvicorn bounds the idle time between requests (timeout_keep_alive) but not the time a client takes to send a
request's headers: a client sending one header byte a minute holds its connection forever, and a few thousand
of them exhaust the file descriptors. The protocol below closes a connection whose request head has not arrived
within the read timeout of the connection opening (or of the previous response). The body is bounded by the
same timeout in ASGI (bot/api/read_deadline.py), which can still answer 408."""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

try:  # uvicorn's own choice: httptools when installed, else h11
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as BaseProtocol
except ImportError:  # pragma: no cover - httptools is a dependency of uvicorn[standard]
    BaseProtocol = H11Protocol  # type: ignore[assignment,misc]

KEEP_ALIVE_SECONDS = 5  # uvicorn's default, stated: idle connections between requests close after this


class _HeaderDeadline:
    """Mixin for a uvicorn HTTP protocol: close the connection when no request head arrives in time.

    uvicorn sets `self.cycle` to a new request/response cycle once a request's head is parsed, so the deadline
    only has to check that the cycle it was armed for is still the current, finished (or absent) one."""

    header_timeout: float = 10.0
    cycle: Any
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    _head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._arm_head_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]
        self._arm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
        super().connection_lost(exc)  # type: ignore[misc]

    def _arm_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
        armed_for = self.cycle

        def expire() -> None:
            waiting = self.cycle is armed_for and (armed_for is None or armed_for.response_complete)
            if waiting and not self.transport.is_closing():
                self.transport.close()

        self._head_deadline = self.loop.call_later(self.header_timeout, expire)


def protocol(header_timeout: float) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol class with a deadline for request heads."""
    return type("HeaderDeadlineProtocol", (_HeaderDeadline, BaseProtocol), {"header_timeout": header_timeout})


def uvicorn_options(read_timeout: float) -> dict[str, Any]:
    """Options for uvicorn.run / uvicorn.Config that bound slow clients."""
    return {"http": protocol(read_timeout), "timeout_keep_alive": KEEP_ALIVE_SECONDS}
