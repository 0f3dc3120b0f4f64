"""A real HTTP receiver for webhook deliveries: verifies signatures, records, answers as scripted.

The sandbox runs one per webhook its policies reach; the tests script failures and read what arrived.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from connectors.verify import InvalidReceipt, InvalidSignature, verify_receipt, verify_webhook


@dataclass
class Reply:
    """One scripted answer; `close` drops the connection without answering.

    `body` None answers the delivery's receipt: `{"id": "ref_…", "status": "accepted"}`, the same one again when an
    Idempotency-Key repeats (as a receiver that dedupes does).
    """

    status: int = 200
    body: Any = None
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
    repeat: bool = False  # its Idempotency-Key was answered with a receipt before
    at: float = field(default_factory=time.time)

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def verified(self) -> bool:
        return self.error is None

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("idempotency-key")

    def shown(self) -> dict[str, Any]:
        """What the sandbox page lists: the body parsed when it is JSON, else its start as text."""
        try:
            body: Any = json.loads(self.body)
        except ValueError:
            body = self.body[:500].decode("utf-8", "replace")
        return {
            "at": self.at,
            "path": self.path,
            "verified": self.verified,
            "error": self.error,
            "repeat": self.repeat,
            "body": body,
            "idempotency_key": self.idempotency_key,
        }


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
        if error is not None:
            fake.deliveries.append(Delivery(self.path, headers, body, error))
            reply, answer = Reply(refused), {"error": error}
        else:
            reply, answer = fake.answer(self.path, headers, body)
        if reply.delay:
            fake.released.wait(reply.delay)  # returns at once when the receiver closes
        if reply.close:
            self.close_connection = True
            return
        raw = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        self.send_response(reply.status)
        content_type = "application/json" if not isinstance(answer, bytes) else "text/plain"
        for name, value in {"Content-Type": content_type, **reply.headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


class WebhookReceiver:
    """Use as a context manager; `url` accepts POSTs on any path. Port 0 picks a free one at start."""

    def __init__(self, secret: str | bytes, *, tolerance: int = 300, host: str = "127.0.0.1", port: int = 0) -> None:
        self.secret, self.tolerance = secret, tolerance
        self.host, self.port = host, port
        self.receipt_key: str | None = None  # set to the receipt public key to refuse unreceipted payloads (403)
        self.deliveries: list[Delivery] = []
        self.released = threading.Event()
        self._script: deque[Reply] = deque()
        self._receipts: dict[str, dict[str, str]] = {}  # Idempotency-Key -> the answer it got
        self._lock = threading.Lock()
        self._server: _Server | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/hook"

    def script(self, *replies: Reply | int) -> None:
        """Queue answers for the next verified deliveries (ints are bare statuses); then receipts again."""
        with self._lock:
            self._script.extend(r if isinstance(r, Reply) else Reply(r, {"status": r}) for r in replies)

    def answer(self, path: str, headers: dict[str, str], body: bytes) -> tuple[Reply, Any]:
        """Record one verified delivery; the reply to send and its body."""
        key = headers.get("idempotency-key")
        with self._lock:
            reply = self._script.popleft() if self._script else Reply()
            repeat = key is not None and key in self._receipts
            self.deliveries.append(Delivery(path, headers, body, None, repeat=repeat))
            if reply.body is not None:
                return reply, reply.body
            receipt = {"id": f"ref_{uuid.uuid4().hex[:10]}", "status": "accepted"}
            if key is not None:
                receipt = self._receipts.setdefault(key, receipt)
            return reply, receipt

    def start(self) -> WebhookReceiver:
        """Listen (raises OSError when the port is taken)."""
        self._server = _Server((self.host, self.port), _Handler)
        self._server.receiver = self
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def close(self) -> None:
        self.released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
