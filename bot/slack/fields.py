"""Payload values as people see them in Slack: dotted paths, sensitive values masked, long values cut."""

from __future__ import annotations

import json
from typing import Any

MASK = "••••••"
_ABSENT = object()


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


def is_sensitive(path: str, sensitive: list[str]) -> bool:
    """True when the path is a sensitive field or lies inside one."""
    return any(path == s or path.startswith(s + ".") for s in sensitive)


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
    """A value ready to escape, masked when sensitive."""
    return MASK if is_sensitive(path, sensitive) else show(value)


def display_paths(payload: Any, display: list[str] | None) -> list[str]:
    """The policy's key fields, or every top-level key when the policy names none (handoffs)."""
    if display:
        return [p for p in display if present(lookup(payload, p))]
    if isinstance(payload, dict):
        return [str(k) for k in payload]
    return [""] if payload is not None else []


def masked(payload: Any, sensitive: list[str], prefix: str = "") -> Any:
    """A copy of the payload with every sensitive value replaced by the mask."""
    if prefix and is_sensitive(prefix, sensitive):
        return MASK
    if isinstance(payload, dict):
        return {k: masked(v, sensitive, f"{prefix}.{k}" if prefix else str(k)) for k, v in payload.items()}
    if isinstance(payload, list):
        return [masked(v, sensitive, f"{prefix}.{i}" if prefix else str(i)) for i, v in enumerate(payload)]
    return payload


def diff_line(change: dict[str, Any], sensitive: list[str]) -> tuple[str, str, str]:
    """(path, before, after) of one diff entry, raw and masked; absent sides read "(none)"."""
    path = str(change.get("path") or "payload")
    before = "(none)" if change.get("change") == "added" else shown(path, change.get("before"), sensitive)
    after = "(none)" if change.get("change") == "removed" else shown(path, change.get("after"), sensitive)
    return path, before, after
