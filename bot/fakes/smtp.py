"""A real SMTP server (aiosmtpd) that collects messages and can refuse, defer, require AUTH or TLS.

The sandbox runs a plain one per SMTP relay its policies reach and lists what arrived; the tests also refuse
recipients, hang up, and require STARTTLS, implicit TLS or a login.
"""

from __future__ import annotations

import email
import email.policy
import ssl
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from bot.fakes.ports import free_port

BODY_SHOWN = 4000  # characters of a message's text the sandbox page shows


@dataclass
class Received:
    """One accepted message with its envelope."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    at: float = field(default_factory=time.time)

    def shown(self) -> dict[str, Any]:
        """What the sandbox page lists: envelope, threading headers and the start of the plain-text body."""
        msg = self.message
        part = msg.get_body(preferencelist=("plain",)) if msg.is_multipart() else msg
        body = part.get_content() if part is not None else ""
        return {
            "at": self.at,
            "mail_from": self.mail_from,
            "rcpt_tos": list(self.rcpt_tos),
            "subject": str(msg.get("Subject", "")),
            "message_id": str(msg.get("Message-ID", "")),
            "in_reply_to": str(msg.get("In-Reply-To", "")),
            "body": str(body)[:BODY_SHOWN],
        }


@dataclass
class Certificates:
    """A server TLS context and the CA file (PEM) a client must trust to accept it."""

    server_context: ssl.SSLContext
    ca_file: str


class _Handler:
    def __init__(self, fake: FakeSmtp) -> None:
        self.fake = fake

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: list[str]) -> str:
        if address in self.fake.rejected:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if address in self.fake.deferred:
            return f"451 4.3.0 <{address}>: Temporary lookup failure, try again later"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        received = Received(envelope.mail_from, list(envelope.rcpt_tos), message)
        self.fake.messages.append(received)
        return "250 2.0.0 OK queued"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        if self.fake.drop_at_quit:
            server.transport.abort()  # hang up instead of answering 221
        return "221 Bye"


class FakeSmtp:
    """Use as a context manager; `tls` picks plain, STARTTLS (required) or implicit TLS. No port: a free one."""

    def __init__(
        self,
        *,
        tls: Literal["none", "starttls", "ssl"] = "none",
        certificates: Certificates | None = None,
        login: tuple[str, str] | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
    ) -> None:
        if tls != "none" and certificates is None:
            raise ValueError("TLS needs certificates")
        self.messages: list[Received] = []
        self.rejected: set[str] = set()  # answered 550 at RCPT
        self.deferred: set[str] = set()  # answered 451 at RCPT
        self.drop_at_quit = False  # hang up after accepting, before answering QUIT
        self.login = login
        self.host = host
        self.port = free_port() if port is None else port  # aiosmtpd needs the port before it starts
        options: dict[str, Any] = {"server_hostname": "fake-smtp.test"}  # skip a slow getfqdn()
        if login:
            options.update(authenticator=self._authenticate, auth_required=True)
        if tls == "starttls":
            options.update(tls_context=certificates.server_context, require_starttls=True)  # type: ignore[union-attr]
        if tls == "ssl":
            options.update(ssl_context=certificates.server_context)  # type: ignore[union-attr]
        self._controller = Controller(_Handler(self), hostname=host, port=self.port, **options)

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        given = (auth_data.login.decode(), auth_data.password.decode())
        return AuthResult(success=given == self.login, handled=False)

    def start(self) -> FakeSmtp:
        """Listen (raises OSError when the port is taken)."""
        self._controller.start()
        return self

    def close(self) -> None:
        self._controller.stop()

    def __enter__(self) -> FakeSmtp:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
