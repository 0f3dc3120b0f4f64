"""A tiny TCP proxy whose network can fail on command: cut live connections, refuse new ones, lose a response."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Self

METHODS = (b"GET ", b"POST ", b"PUT ", b"PATCH ", b"DELETE ")


def _reset(sock: socket.socket) -> None:
    """Close now; shutdown first, because close() alone does not wake a thread blocked in recv() on it."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


class TcpProxy:
    """`with TcpProxy(port) as proxy:` clients use proxy.url; the upstream is 127.0.0.1:`port`."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.port = 0
        self.requests: list[str] = []  # request lines seen, e.g. "GET /api/v1/proposals/x/wait?timeout=30"
        self.refused = 0
        self._down = False
        self._lose = 0
        self._cond = threading.Condition()
        self._pairs: set[tuple[socket.socket, socket.socket]] = set()
        self._listener: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()
        return self

    def close(self) -> None:
        if self._listener is not None:
            self._listener.close()
        self.cut()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # ---- failures on command
    def cut(self) -> None:
        """Drop every live connection at once (requests in flight never get their answer)."""
        with self._cond:
            pairs, self._pairs = self._pairs, set()
        for client, upstream in pairs:
            _reset(client)
            _reset(upstream)

    def set_down(self, down: bool) -> None:
        """While down, new connections are accepted and reset at once (counted in `refused`)."""
        with self._cond:
            self._down = down

    def lose_responses(self, n: int = 1) -> None:
        """The next `n` responses are swallowed: the server did the work, the client sees the connection drop."""
        with self._cond:
            self._lose += n

    def wait_until(self, condition: Callable[[TcpProxy], bool], timeout: float = 20.0) -> None:
        """Block until `condition(self)` holds (checked on every event), or fail."""
        with self._cond:
            if not self._cond.wait_for(lambda: condition(self), timeout):
                raise AssertionError(f"proxy condition not met; requests so far: {self.requests}")

    def count(self, fragment: str) -> int:
        """How many request lines contain `fragment`."""
        with self._cond:
            return sum(fragment in r for r in self.requests)

    # ---- plumbing
    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            with self._cond:
                down = self._down
                if down:
                    self.refused += 1
                    self._cond.notify_all()
            if down:
                _reset(client)
                continue
            upstream = socket.create_connection(self.upstream)
            pair = (client, upstream)
            with self._cond:
                self._pairs.add(pair)
            threading.Thread(target=self._pump, args=(client, upstream, pair, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, pair, False), daemon=True).start()

    def _pump(
        self, src: socket.socket, dst: socket.socket, pair: tuple[socket.socket, socket.socket], outbound: bool
    ) -> None:
        try:
            while data := src.recv(65536):
                if outbound and data.startswith(METHODS):
                    self._record(data.split(b"\r\n", 1)[0].rsplit(b" ", 1)[0].decode())
                if not outbound and self._swallow():
                    self._drop(pair)
                    return
                dst.sendall(data)
        except OSError:
            pass
        self._drop(pair)

    def _record(self, line: str) -> None:
        with self._cond:
            self.requests.append(line)
            self._cond.notify_all()

    def _swallow(self) -> bool:
        with self._cond:
            if self._lose:
                self._lose -= 1
                return True
            return False

    def _drop(self, pair: tuple[socket.socket, socket.socket]) -> None:
        with self._cond:
            if pair not in self._pairs:
                return
            self._pairs.discard(pair)
        _reset(pair[0])
        _reset(pair[1])
