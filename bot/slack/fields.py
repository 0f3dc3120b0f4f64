"""Payload values as people see them in Slack: dotted paths, sensitive values masked, long values cut."""

from __future__ import annotations

import json
from typing import Any

from bot.policy.display import DisplayField
from bot.sensitive import MASK, is_sensitive, masked, scrub, sensitive_texts

__all__ = ["MASK", "is_sensitive", "masked", "scrub", "sensitive_texts"]

_ABSENT = object()
MISSING = _ABSENT  # what lookup() returns for a path that does not exist


def lookup(payload: Any, path: str) -> Any:
    """The value at a dotted path ("" is the whole payload), or _ABSENT. A top-level key is found as it is, dots
    and all (agents send keys such as "example.com" or "v1.2")."""
    if isinstance(payload, dict) and path in payload:
        return payload[path]
    value = payload
    for part in path.split(".") if path else []:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _ABSENT
    return value


def value_at(payload: Any, keys: tuple[str, ...]) -> Any:
    """The value under these keys, each taken as it is (dots and all), or _ABSENT."""
    value = payload
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return _ABSENT
        value = value[key]
    return value


def present(value: Any) -> bool:
    """False for what lookup() returns when a path does not exist."""
    return value is not _ABSENT


def show(value: Any) -> str:
    """Scalars as text, everything else as compact JSON (raw, not yet escaped)."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if value is _ABSENT:
        return "(none)"
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)


def shown(path: str, value: Any, sensitive: list[str]) -> str:
    """A value ready to escape, masked when sensitive; an object or list with sensitive values inside shows
    them masked."""
    return MASK if is_sensitive(path, sensitive) else show(masked(value, sensitive, path))


def display_fields(payload: Any, display: list[DisplayField] | None) -> list[DisplayField]:
    """The policy's fields present in the payload, or every top-level key when the policy names none (handoffs)."""
    if display:
        return [d for d in display if present(lookup(payload, d.field))]
    if isinstance(payload, dict):
        return [DisplayField(field=str(k)) for k in payload]
    return [DisplayField(field="", label="payload")] if payload is not None else []


def diff_line(change: dict[str, Any], sensitive: list[str]) -> tuple[str, str, str]:
    """(path, before, after) of one diff entry, raw and masked; absent sides read "(none)"."""
    path = str(change.get("path") or "payload")
    before = "(none)" if change.get("change") == "added" else shown(path, change.get("before"), sensitive)
    after = "(none)" if change.get("change") == "removed" else shown(path, change.get("after"), sensitive)
    return path, before, after
