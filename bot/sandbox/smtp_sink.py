"""An SMTP server (aiosmtpd) that accepts every message and keeps it for the sandbox page."""

from __future__ import annotations

import email
import email.policy
import threading
import time
from typing import Any

BODY_SHOWN = 4000


class SmtpSink:
    """Plain SMTP on host:port; `messages` holds what the email connector sent, newest last."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 1025) -> None:
        try:
            from aiosmtpd.controller import Controller
        except ImportError as exc:  # a dev dependency until the lead moves it to the main ones
            raise RuntimeError("the SMTP stand-in needs aiosmtpd: pip install aiosmtpd") from exc
        self.host, self.port = host, port
        self.messages: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        # server_hostname skips a slow reverse DNS lookup at start
        self._controller = Controller(self, hostname=host, port=port, server_hostname="sandbox.localhost")

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """aiosmtpd hook: parse and keep the message."""
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        part = msg.get_body(preferencelist=("plain",)) if msg.is_multipart() else msg
        body = part.get_content() if part is not None else ""
        with self._lock:
            self.messages.append(
                {
                    "at": time.time(),
                    "mail_from": envelope.mail_from,
                    "rcpt_tos": list(envelope.rcpt_tos),
                    "subject": str(msg.get("Subject", "")),
                    "message_id": str(msg.get("Message-ID", "")),
                    "in_reply_to": str(msg.get("In-Reply-To", "")),
                    "body": str(body)[:BODY_SHOWN],
                }
            )
        return "250 2.0.0 OK queued"

    def start(self) -> SmtpSink:
        """Listen (raises OSError when the port is taken)."""
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        self._controller.stop()
