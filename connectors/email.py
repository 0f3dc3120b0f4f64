"""Send the approved email through an SMTP relay (plain, STARTTLS or implicit TLS)."""

from __future__ import annotations

import hashlib
import re
import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any, ClassVar, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from connectors.base import ConnectorConfig, ConnectorContext, ConnectorError, Result

# Deliberately loose: the relay is the authority; this only catches what cannot be an address.
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\".]+$")
_THREAD_ID = re.compile(r"<[^<>\s]+>")
_MESSAGE_ID_KEY = re.compile(r"^[A-Za-z0-9._+=-]{1,200}$")


def address(value: Any) -> str:
    """The bare address in `value` ("Name <a@b.com>" or "a@b.com"), or ValueError."""
    if not isinstance(value, str) or "\n" in value or "\r" in value:
        raise ValueError(f"{value!r} is not an email address")
    addr = parseaddr(value)[1]
    if not _ADDRESS.match(addr):
        raise ValueError(f"{value!r} is not a valid email address")
    return addr


def mask(addr: str) -> str:
    """Hide the local part ("a***@example.com") so addresses do not leak into threads and logs."""
    local, _, domain = addr.rpartition("@")
    return f"{local[:1]}***@{domain}"


def message_id(idempotency_key: str, sender: str) -> str:
    """A Message-ID equal on every retry of one execution, so receivers can drop duplicates."""
    key = idempotency_key
    if not _MESSAGE_ID_KEY.match(key):
        key = hashlib.sha256(key.encode()).hexdigest()  # still deterministic, and header-safe
    return f"<{key}@{sender.rpartition('@')[2]}>"


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _recipient_problems(payload: dict[str, Any], field: str) -> list[tuple[str, str]]:
    value = payload[field]
    out = []
    for i, item in enumerate(_list(value)):
        try:
            address(item)
        except ValueError as exc:
            out.append((f"{field}.{i}" if isinstance(value, list) else field, str(exc)))
    return out


class EmailConnector:
    """Builds one RFC 5322 message per execution and hands it to the configured relay."""

    name: ClassVar[str] = "email"
    executes_remotely: ClassVar[bool] = False

    class Config(ConnectorConfig):
        model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

        from_address: str = Field(alias="from")
        host: str = "localhost"
        port: int = Field(25, ge=1, le=65535)
        security: Literal["none", "starttls", "ssl"] = "none"
        username: str | None = None
        password_env: str | None = None
        timeout: float = Field(10, gt=0)
        reply_to: str | None = None
        ca_file: str | None = None  # PEM bundle to trust for a relay with a private CA

        @field_validator("from_address", "reply_to")
        @classmethod
        def _is_address(cls, value: str | None) -> str | None:
            if value is not None:
                address(value)  # raises ValueError, which pydantic reports against the field
            return value

        @model_validator(mode="after")
        def _login_pairs(self) -> EmailConnector.Config:
            if bool(self.username) != bool(self.password_env):
                raise ValueError("username and password_env go together")
            if self.username and self.security == "none":
                raise ValueError("login needs security: starttls or ssl (the password would travel in clear)")
            return self

    def __init__(self, config: Config, context: ConnectorContext) -> None:
        self.config, self.context = config, context

    def problems(self, action: str, payload: dict[str, Any]) -> list[tuple[str, str]]:
        """Why this payload cannot be sent (missing fields, bad addresses), before anything is sent."""
        found: list[tuple[str, str]] = []
        for field in ("to", "subject", "body"):
            if payload.get(field) in (None, "", []):
                found.append((field, "is required"))
        for field in ("to", "cc"):
            if payload.get(field) not in (None, "", []):
                found += _recipient_problems(payload, field)
        subject, body = payload.get("subject"), payload.get("body")
        if subject and (not isinstance(subject, str) or "\n" in subject or "\r" in subject):
            found.append(("subject", "must be a single line of text"))
        if body and not isinstance(body, str):
            found.append(("body", "must be text"))
        for field in ("in_reply_to", "references"):
            ids = _list(payload.get(field) or [])
            if not all(isinstance(v, str) and _THREAD_ID.fullmatch(v) for v in ids):
                found.append((field, "must be Message-IDs like <id@host>"))
        return found

    def execute(self, action: str, payload: dict[str, Any], idempotency_key: str) -> Result:
        """Send once; SMTP 4xx and network trouble are retryable, 5xx are not."""
        found = self.problems(action, payload)
        if found:
            listed = "; ".join(f"{path}: {msg}" for path, msg in found)
            raise ConnectorError(f"email payload invalid: {listed}", retryable=False, problems=found)
        message = self.build_message(payload, idempotency_key)
        recipients = list(dict.fromkeys(address(v) for f in ("to", "cc") for v in _list(payload.get(f) or [])))
        refused = self._send(message, recipients)
        delivered = [r for r in recipients if r not in refused]
        summary = f"email sent to {mask(delivered[0])}"
        if len(delivered) > 1:
            summary += f" and {len(delivered) - 1} more"
        data: dict[str, Any] = {"message_id": message["Message-ID"], "recipients": len(delivered)}
        if refused:
            # Some recipients got it: retrying would duplicate their copy, so report instead of failing.
            summary += f"; refused: {', '.join(mask(r) for r in refused)}"
            data["refused"] = {mask(r): f"{code} {_text(t).replace(r, mask(r))}" for r, (code, t) in refused.items()}
        return Result(summary=summary, data=data)

    def build_message(self, payload: dict[str, Any], idempotency_key: str) -> EmailMessage:
        """The message exactly as it will be sent (apart from the Date header)."""
        cfg = self.config
        msg = EmailMessage()
        msg["From"] = cfg.from_address
        msg["To"] = ", ".join(_list(payload["to"]))
        if payload.get("cc"):
            msg["Cc"] = ", ".join(_list(payload["cc"]))
        if cfg.reply_to:
            msg["Reply-To"] = cfg.reply_to
        msg["Subject"] = payload["subject"]
        msg["Date"] = format_datetime(datetime.now(UTC))
        msg["Message-ID"] = message_id(idempotency_key, address(cfg.from_address))
        if payload.get("in_reply_to"):
            msg["In-Reply-To"] = " ".join(_list(payload["in_reply_to"]))
        if payload.get("references"):
            msg["References"] = " ".join(_list(payload["references"]))
        msg.set_content(payload["body"])
        return msg

    def _send(self, message: EmailMessage, recipients: list[str]) -> dict[str, tuple[int, bytes]]:
        cfg = self.config
        # Read the secret before connecting: a missing one is permanent and needs no network.
        password = self.context.secret(cfg.password_env) if cfg.password_env else None
        try:
            tls = ssl.create_default_context(cafile=cfg.ca_file) if cfg.security != "none" else None
        except OSError as exc:
            raise ConnectorError(f"ca_file {cfg.ca_file} cannot be read: {exc}", retryable=False) from exc
        smtp: smtplib.SMTP | None = None
        try:
            if cfg.security == "ssl":
                smtp = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout, context=tls)
            else:
                smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout)
            if cfg.security == "starttls":
                smtp.starttls(context=tls)
            if cfg.username and password:
                smtp.login(cfg.username, password)
            refused = smtp.send_message(message, from_addr=address(cfg.from_address), to_addrs=recipients)
        except (smtplib.SMTPException, OSError) as exc:
            if smtp is not None:
                smtp.close()
            raise classify(exc, f"SMTP {cfg.host}:{cfg.port}") from exc
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()  # the relay already accepted the message: failing now would make a retry send it twice
        return refused


def _text(answer: bytes | str) -> str:
    return answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)


def classify(exc: BaseException, target: str) -> ConnectorError:
    """Map an smtplib/socket failure: 4xx and network trouble may pass later, 5xx will not."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        # Servers echo the address in their answer; mask it there too.
        answers = {mask(r): (code, _text(text).replace(r, mask(r))) for r, (code, text) in exc.recipients.items()}
        listed = "; ".join(f"{r}: {code} {text}" for r, (code, text) in answers.items())
        temporary = any(400 <= code < 500 for code, _ in answers.values())
        return ConnectorError(f"{target} refused every recipient: {listed}", retryable=temporary, recipients=answers)
    if isinstance(exc, smtplib.SMTPResponseException):
        code = exc.smtp_code
        message = f"{target} answered {code}: {_text(exc.smtp_error)}"
        return ConnectorError(message, retryable=not 500 <= code < 600, smtp_code=code)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return ConnectorError(f"{target} closed the connection: {exc}", retryable=True)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return ConnectorError(f"{target} TLS certificate not trusted: {exc.verify_message}", retryable=False)
    if isinstance(exc, smtplib.SMTPException):
        # Capability mismatches (no STARTTLS, no usable AUTH): configuration, not luck.
        return ConnectorError(f"{target}: {exc}", retryable=False)
    return ConnectorError(f"{target} unreachable: {str(exc) or type(exc).__name__}", retryable=True)
