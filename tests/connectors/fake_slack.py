"""A tiny Slack Web API (chat.postMessage only) speaking Slack's JSON wire format over real HTTP."""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class SlackReply:
    """A scripted answer; `close` hangs up without answering."""

    status: int = 200
    body: Any = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    close: bool = False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    slack: FakeSlackApi

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        reply = self.server.slack.answer(self.path, dict(self.headers.items()), raw)
        if reply.close:
            self.close_connection = True
            return
        body = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        content_type = "text/html" if isinstance(reply.body, bytes) else "application/json; charset=utf-8"
        for name, value in {"Content-Type": content_type, **reply.headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class FakeSlackApi:
    """Posts land in `posts`; channels outside `channels` answer channel_not_found, as Slack does."""

    def __init__(self, *, token: str = "xoxb-test", channels: set[str] | None = None) -> None:
        self.token = token
        self.channels = channels if channels is not None else {"C0SUPPORT"}
        self.posts: list[dict[str, Any]] = []
        self.calls = 0  # every request, answered or not
        self._script: deque[SlackReply] = deque()
        self._ts = itertools.count(1)
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.slack = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    def script(self, *replies: SlackReply) -> None:
        """Answer the next calls with these replies, then behave normally again."""
        self._script.extend(replies)

    def answer(self, path: str, headers: dict[str, str], raw: bytes) -> SlackReply:
        """The reply to one Web API call."""
        self.calls += 1
        if self._script:
            return self._script.popleft()
        if path != "/api/chat.postMessage":
            return SlackReply(404, {"ok": False, "error": "unknown_method"})
        if headers.get("Authorization") != f"Bearer {self.token}":
            return SlackReply(body={"ok": False, "error": "invalid_auth"})
        args = json.loads(raw)
        if args.get("channel") not in self.channels:
            return SlackReply(body={"ok": False, "error": "channel_not_found"})
        ts = f"1712345678.{next(self._ts):06d}"
        self.posts.append(args)
        message = {"type": "message", "text": args.get("text"), "ts": ts, "thread_ts": args.get("thread_ts")}
        return SlackReply(body={"ok": True, "channel": args["channel"], "ts": ts, "message": message})

    def start(self) -> FakeSlackApi:
        self._thread.start()
        return self

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeSlackApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
