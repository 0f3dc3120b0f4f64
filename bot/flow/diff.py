"""A readable diff between two JSON payloads, as dotted paths."""

from __future__ import annotations

from typing import Any

_MISSING = object()


def json_diff(before: Any, after: Any, path: str = "") -> list[dict[str, Any]]:
    """List of {path, before, after} for every leaf that differs (absent values are None with `added`/`removed`)."""
    if isinstance(before, dict) and isinstance(after, dict):
        changes: list[dict[str, Any]] = []
        for key in sorted(set(before) | set(after), key=str):
            sub = f"{path}.{key}" if path else str(key)
            changes += json_diff(before.get(key, _MISSING), after.get(key, _MISSING), sub)
        return changes
    if before is _MISSING:
        return [{"path": path, "before": None, "after": after, "change": "added"}]
    if after is _MISSING:
        return [{"path": path, "before": before, "after": None, "change": "removed"}]
    if before != after or type(before) is not type(after):
        return [{"path": path, "before": before, "after": after, "change": "changed"}]
    return []
