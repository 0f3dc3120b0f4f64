"""Slack Web API wire format: argument parsing, coercion and the error envelope."""

from __future__ import annotations

import json
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl


class SlackError(Exception):
    """A Web API error; becomes `{"ok": false, "error": code, ...}`."""

    def __init__(
        self,
        error: str,
        *,
        messages: list[str] | None = None,
        status: int = 200,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages or []
        self.status = status
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> dict[str, Any]:
        """The JSON body Slack would answer with."""
        out: dict[str, Any] = {"ok": False, "error": self.error, **self.extra}
        if self.messages:
            out["response_metadata"] = {"messages": list(self.messages)}
        return out


def parse_args(query: str, body: bytes, content_type: str) -> dict[str, Any]:
    """Merge query-string and body arguments the way Slack accepts them (JSON, form, multipart)."""
    args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    ctype = content_type.lower()
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return args
    if "application/json" in ctype or (text.startswith("{") and "form" not in ctype):
        try:
            data = json.loads(text)
        except ValueError:
            raise SlackError("invalid_json") from None
        if not isinstance(data, dict):
            raise SlackError("json_not_object")
        args.update(data)
    elif "multipart/form-data" in ctype:
        args.update(_multipart_fields(body, content_type))
    else:
        args.update(parse_qsl(text, keep_blank_values=True))
    return args


def _multipart_fields(body: bytes, content_type: str) -> dict[str, Any]:
    """Fields of a multipart body (files become bytes); stdlib only, no python-multipart."""
    msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    fields: dict[str, Any] = {}
    for part in msg.iter_parts():
        name = str(part.get_param("name", header="content-disposition") or "")
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        fields[name] = data if part.get_filename() else data.decode("utf-8", errors="replace")
    return fields


def upload_bytes(body: bytes, content_type: str) -> bytes:
    """The file bytes of an upload_url POST: raw body, or the first file part of a multipart body."""
    if "multipart/form-data" not in content_type.lower():
        return body
    for value in _multipart_fields(body, content_type).values():
        if isinstance(value, bytes):
            return value
    return b""


def flag(args: dict[str, Any], name: str, default: bool = False) -> bool:
    """A boolean argument: JSON true/false or form 1/0/true/false."""
    value = args.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes")


def json_arg(args: dict[str, Any], name: str, error: str) -> Any:
    """A structured argument that form bodies carry as a JSON string; `error` if it does not parse."""
    value = args.get(name)
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise SlackError(error, messages=[f"[ERROR] invalid JSON in {name}"]) from None
    return value


def required(args: dict[str, Any], *names: str) -> None:
    """Raise Slack's error for a missing required argument."""
    for name in names:
        if args.get(name) in (None, ""):
            raise SlackError("invalid_arguments", messages=[f"[ERROR] missing required field: {name}"])


def text_arg(args: dict[str, Any], name: str = "text") -> str:
    """A text argument as str ('' when absent)."""
    value = args.get(name)
    return "" if value is None else str(value)
