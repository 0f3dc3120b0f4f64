"""Requests claiming to come from Slack, and clients that never finish a request, against the server as
`countersign serve` runs it (bot.serving), over raw loopback sockets: bodies are bounded, unsigned requests are
refused before their bodies are read, and half-sent requests cannot hold connections."""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from slack_sdk.signature import SignatureVerifier
from structlog.testing import capture_logs

from bot.app import create_app
from bot.fakeslack import BackgroundServer
from bot.serving import uvicorn_options
from tests.factories import make_services, write_policies

SECRET = "slack-signing-secret"
READ_TIMEOUT = 1.0
BOUND = 30.0  # how long a test waits for the server before calling it stuck (not a timing assertion)
MIB = 1024 * 1024


@pytest.fixture
def server(tmp_path: Path) -> Iterator[BackgroundServer]:
    svc = make_services(
        f"sqlite:///{tmp_path}/db.sqlite",
        write_policies(tmp_path / "policies"),
        slack_bot_token="xoxb-fake",
        slack_signing_secret=SECRET,
        slack_api_url="http://127.0.0.1:9/api/",
        scheduler_enabled=False,
        read_timeout_seconds=READ_TIMEOUT,
    )
    app = create_app(services=svc, run_scheduler=False)
    with BackgroundServer(app, options=uvicorn_options(READ_TIMEOUT)) as srv:
        yield srv
    svc.engine.dispose()


def _connect(server: BackgroundServer) -> socket.socket:
    sock = socket.create_connection((server.host, server.port), timeout=BOUND)
    return sock


def _head(content_length: int | None = None, *, signed: bool = True, chunked: bool = False) -> bytes:
    lines = ["POST /slack/events HTTP/1.1", "Host: countersign", "Content-Type: application/json"]
    if content_length is not None:
        lines.append(f"Content-Length: {content_length}")
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    if signed:  # present but wrong: only the size may be judged before the body is read
        lines += [f"X-Slack-Request-Timestamp: {int(time.time())}", "X-Slack-Signature: v0=" + "0" * 64]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _status(sock: socket.socket) -> int:
    """The status code of the response on sock (reads up to the end of the status line)."""
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise AssertionError(f"connection closed before a status line; got {data!r}")
        data += chunk
    return int(data.split(b" ", 2)[1])


def test_a_declared_body_over_1_mib_is_413_before_it_is_sent(server: BackgroundServer) -> None:
    with _connect(server) as sock:
        sock.sendall(_head(64 * MIB) + b"{" * 1024)
        assert _status(sock) == 413


@pytest.mark.parametrize(("declared", "status"), [(900 * 1024, 401), (64 * MIB, 413), (None, 401)])
def test_an_unsigned_body_is_refused_before_it_is_read(
    server: BackgroundServer, declared: int | None, status: int
) -> None:
    """The server answers after 1 KiB of what it was promised (None: chunked, of unknown length)."""
    with _connect(server) as sock:
        first = b"%x\r\n%s\r\n" % (1024, b"{" * 1024) if declared is None else b"{" * 1024
        sock.sendall(_head(declared, signed=False, chunked=declared is None) + first)
        assert _status(sock) == status


def test_a_chunked_body_is_counted_while_it_streams(server: BackgroundServer) -> None:
    chunk = b"%x\r\n%s\r\n" % (64 * 1024, b"x" * 64 * 1024)
    with _connect(server) as sock:
        sock.sendall(_head(chunked=True))
        try:
            for _ in range(20):  # 1.25 MiB, never terminated: the answer cannot wait for the end
                sock.sendall(chunk)
        except OSError:  # the server may close while we are still sending
            pass
        assert _status(sock) == 413


@pytest.mark.parametrize("signature", ["none", "forged", "signed"])
def test_malformed_bodies_are_refused_without_tracebacks(
    server: BackgroundServer, caplog: pytest.LogCaptureFixture, signature: str
) -> None:
    body = b'{"type": "event_callback", "event": {'  # cut short
    ts = str(int(time.time()))
    headers = {"Content-Type": "application/json"}
    if signature != "none":
        secret = SECRET if signature == "signed" else "not-the-secret"
        sig = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body.decode())
        headers |= {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}
    with caplog.at_level(logging.INFO), capture_logs() as logs:
        resp = httpx.post(f"{server.url}/slack/events", content=body, headers=headers, timeout=BOUND)
    assert resp.status_code == (400 if signature == "signed" else 401)
    assert resp.json()["code"] == ("InvalidPayload" if signature == "signed" else "InvalidSignature")
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []
    assert [e for e in logs if e["log_level"] in {"error", "critical"} or "exc_info" in e] == []


def test_a_genuine_small_event_still_gets_through(server: BackgroundServer) -> None:
    body = '{"type": "url_verification", "challenge": "abc123"}'
    ts = str(int(time.time()))
    sig = SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body)
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}
    resp = httpx.post(f"{server.url}/slack/events", content=body, headers=headers, timeout=BOUND)
    assert (resp.status_code, resp.json()) == (200, {"challenge": "abc123"})


def _closed(sock: socket.socket) -> bool:
    """True when the server closed the connection (what it sent before closing is ignored)."""
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True
    except BlockingIOError:
        return False
    except OSError:  # reset
        return True


def _trickle_until_closed(socks: list[socket.socket], byte: bytes) -> set[socket.socket]:
    """Send one byte on every open socket every 0.1 s until the server closed them all (or BOUND passed)."""
    for sock in socks:
        sock.setblocking(False)
    open_ = set(socks)
    give_up = time.monotonic() + BOUND
    while open_ and time.monotonic() < give_up:
        for sock in list(open_):
            with contextlib.suppress(OSError):
                sock.send(byte)
        readable, _, _ = select.select(list(open_), [], [], 0.1)
        open_ -= {sock for sock in readable if _closed(sock)}
    return open_


def test_200_clients_trickling_headers_are_cut_off_and_others_are_served(server: BackgroundServer) -> None:
    socks = [_connect(server) for _ in range(200)]
    try:
        for sock in socks:
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: countersign\r\nX-Slow: ")
        with httpx.Client(base_url=server.url, timeout=BOUND) as http:
            assert http.get("/healthz").status_code == 200  # served while 200 connections trickle
        still_open = _trickle_until_closed(socks, b"a")
        assert len(still_open) == 0, f"{len(still_open)} of 200 trickling connections still open"
    finally:
        for sock in socks:
            sock.close()


def test_a_trickling_body_gets_408_and_the_connection_closes(server: BackgroundServer) -> None:
    with _connect(server) as sock:
        sock.sendall(_head(1000))
        sock.setblocking(False)
        received, give_up = b"", time.monotonic() + BOUND
        while time.monotonic() < give_up:
            with contextlib.suppress(OSError):
                sock.send(b"{")
            if select.select([sock], [], [], 0.1)[0]:
                try:
                    chunk = sock.recv(65536)
                except OSError:
                    break
                if not chunk:
                    break
                received += chunk
    assert received.startswith(b"HTTP/1.1 408 "), received[:200]
    assert b"did not arrive within 1 second" in received


def test_a_kept_alive_connection_that_trickles_its_next_request_is_cut_off(server: BackgroundServer) -> None:
    with _connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: countersign\r\n\r\n")
        assert _status(sock) == 200
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: countersign\r\nX-Slow: ")
        assert _trickle_until_closed([sock], b"a") == set()
