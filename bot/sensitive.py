"""Sensitive payload values: which paths are sensitive, and masking them in copies and in messages."""

from __future__ import annotations

import json
from typing import Any

MASK = "••••••"


def is_sensitive(path: str, sensitive: list[str]) -> bool:
    """True when the path is a sensitive field or lies inside one. In a sensitive path "*" stands for any one
    segment, and array indexes may be left out: "contacts.email" and "contacts.*.email" both cover
    "contacts.3.email"."""
    parts = path.split(".") if path else []
    return any(_covers(s.split("."), parts) for s in sensitive if s)


def _covers(pattern: list[str], parts: list[str]) -> bool:
    if not pattern:
        return True  # the pattern ended: the path lies inside a sensitive field
    if not parts:
        return False
    head, rest = pattern[0], pattern[1:]
    if head in {"*", parts[0]} and _covers(rest, parts[1:]):
        return True
    return parts[0].isdigit() and _covers(pattern, parts[1:])  # an array index the pattern leaves out


def sensitive_texts(payload: Any, sensitive: list[str], prefix: str = "") -> list[str]:
    """The text of every sensitive value in the payload (leaves and whole objects), longest first, so messages
    that quote them (a validator's, a connector's) can be scrubbed."""
    found: list[str] = []
    if prefix and is_sensitive(prefix, sensitive):
        found.append(_text(payload))
    if isinstance(payload, dict):
        for k, v in payload.items():
            found += sensitive_texts(v, sensitive, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(payload, list):
        for i, v in enumerate(payload):
            found += sensitive_texts(v, sensitive, f"{prefix}.{i}" if prefix else str(i))
    return sorted({t for t in found if len(t) >= 3}, key=len, reverse=True)  # shorter would mangle any text


def scrub(text: str, secrets: list[str]) -> str:
    """`text` with every occurrence of a sensitive value replaced by the mask."""
    for secret in secrets:
        text = text.replace(secret, MASK)
    return text


def masked(payload: Any, sensitive: list[str], prefix: str = "") -> Any:
    """A copy of the payload with every sensitive value replaced by the mask."""
    if prefix and is_sensitive(prefix, sensitive):
        return MASK
    if isinstance(payload, dict):
        return {k: masked(v, sensitive, f"{prefix}.{k}" if prefix else str(k)) for k, v in payload.items()}
    if isinstance(payload, list):
        return [masked(v, sensitive, f"{prefix}.{i}" if prefix else str(i)) for i, v in enumerate(payload)]
    return payload


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
