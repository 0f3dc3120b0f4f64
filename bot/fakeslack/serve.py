"""Serve any ASGI app with uvicorn on a background thread and an ephemeral 127.0.0.1 port."""

from __future__ import annotations

import socket
import threading
from types import TracebackType
from typing import Any, Literal, Self

import uvicorn

STARTUP_TIMEOUT = 10.0


class BackgroundServer:
    """`with BackgroundServer(app) as srv: srv.url` — a real HTTP server for tests and the sandbox."""

    def __init__(
        self,
        app: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        lifespan: Literal["auto", "on", "off"] = "off",
        options: dict[str, Any] | None = None,
    ) -> None:
        self.app = app
        self.options = options or {}  # more uvicorn.Config options (bot.serving.uvicorn_options, say)
        self.host = host
        self.port = port
        self.lifespan = lifespan  # "on" runs the app's startup/shutdown (migrations, scheduler) as uvicorn does
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """http://HOST:PORT (no trailing slash)."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> Self:
        """Bind, then serve on a daemon thread; returns once uvicorn reports it is serving."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:  # the port is taken: the caller says which one
            sock.close()
            raise
        # Listening before uvicorn starts means early clients queue in the backlog instead of failing.
        sock.listen(128)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app, log_level="warning", lifespan=self.lifespan, timeout_graceful_shutdown=2, **self.options
        )
        self._server = _NotifyingServer(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True, name=f"uvicorn-{self.port}"
        )
        self._thread.start()
        if not self._server.ready.wait(STARTUP_TIMEOUT) or not self._server.started:
            self.stop()
            raise RuntimeError(f"server on port {self.port} did not start")
        return self

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for the thread."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(STARTUP_TIMEOUT)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class _NotifyingServer(uvicorn.Server):
    """uvicorn.Server that sets an Event once startup finished (or failed), so start() never polls."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().startup(sockets=sockets)
        finally:
            self.ready.set()
