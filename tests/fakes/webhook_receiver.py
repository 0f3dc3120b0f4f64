"""A real HTTP receiver for webhook deliveries: verifies signatures, records, answers as scripted."""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from connectors.verify import InvalidReceipt, InvalidSignature, verify_receipt, verify_webhook


@dataclass
class Reply:
    """One scripted answer; `close` drops the connection without answering."""

    status: int = 200
    body: Any = field(default_factory=lambda: {"received": True})
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    close: bool = False


@dataclass
class Delivery:
    """One request as received, with the signature verdict (`error` is None when it verified)."""

    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    error: str | None

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: WebhookReceiver

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out and hang up are part of the tests, not failures


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        fake = self.server.receiver
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            verify_webhook(secret=fake.secret, headers=headers, body=body, tolerance=fake.tolerance)
            error = None
        except InvalidSignature as exc:
            error = exc.reason
        refused = 401
        if error is None and fake.receipt_key is not None:  # a receiver that acts only on what was decided
            refused = 403
            try:
                verify_receipt(fake.receipt_key, headers.get("countersign-receipt", ""), json.loads(body)["payload"])
            except InvalidReceipt as exc:
                error = exc.reason
        fake.deliveries.append(Delivery(self.path, headers, body, error))
        reply = fake.next_reply() if error is None else Reply(refused, {"error": error})
        if reply.delay:
            fake.released.wait(reply.delay)  # returns at once when the receiver closes
        if reply.close:
            self.close_connection = True
            return
        raw = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        content_type = "application/json" if not isinstance(reply.body, bytes) else "text/plain"
        for name, value in {"Content-Type": content_type, **reply.headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


class WebhookReceiver:
    """Use as a context manager; `url` accepts POSTs on any path."""

    def __init__(self, secret: str | bytes, *, tolerance: int = 300) -> None:
        self.secret, self.tolerance = secret, tolerance
        self.receipt_key: str | None = None  # set to the receipt public key to refuse unreceipted payloads (403)
        self.deliveries: list[Delivery] = []
        self.released = threading.Event()
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.receiver = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def script(self, *replies: Reply | int) -> None:
        """Queue answers for the next deliveries (ints are bare statuses); then 200 again."""
        with self._lock:
            self._script.extend(r if isinstance(r, Reply) else Reply(r, {"status": r}) for r in replies)

    def next_reply(self) -> Reply:
        with self._lock:
            return self._script.popleft() if self._script else Reply()

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def close(self) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
