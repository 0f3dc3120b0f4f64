"""Turn an action payload into CRM properties, checking required fields, types and options first."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any, Literal

Kind = Literal["string", "number", "enumeration", "date", "bool"]
_MISSING = object()


def lookup(payload: Any, path: str) -> Any:
    """The value at a dotted path ("customer.email", "items.0.sku"), or _MISSING."""
    node = payload
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def coerce(kind: Kind, value: Any, options: list[str] | None) -> str:
    """The CRM's string form of `value` for a property of `kind`, or ValueError saying why not."""
    if isinstance(value, dict | list):
        raise ValueError(f"expected a single {kind} value, got {_describe(value)}")
    if kind == "bool":
        text = str(value).strip().lower()
        if text not in ("true", "false"):
            raise ValueError(f"expected true or false, got {value!r}")
        return text
    if isinstance(value, bool):
        raise ValueError(f"expected a {kind}, got {value!r}")  # true/false is rarely meant as text or 1/0
    if kind == "number":
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"expected a number, got {value!r}") from None
        if not math.isfinite(number):
            raise ValueError(f"expected a finite number, got {value!r}")
        return str(value).strip()
    if kind == "date":
        try:
            parsed = datetime.fromisoformat(value) if "T" in str(value) else date.fromisoformat(value)
            return parsed.strftime("%Y-%m-%d")
        except (TypeError, ValueError):
            raise ValueError(f"expected a date like 2026-10-01, got {value!r}") from None
    text = str(value)
    if kind == "enumeration" and options is not None and text not in options:
        raise ValueError(f"{text!r} is not one of the allowed options: {', '.join(options)}")
    return text


def build_properties(
    *,
    payload: dict[str, Any],
    mapping: dict[str, str],
    required: set[str],
    types: dict[str, Kind],
    options: dict[str, list[str]],
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """CRM properties from `payload`, and every problem found as (payload path, message)."""
    properties: dict[str, str] = {}
    problems: list[tuple[str, str]] = []
    for prop, path in mapping.items():
        value = lookup(payload, path)
        blank = isinstance(value, str) and not value.strip()
        if value is _MISSING or value is None or (blank and prop in required):
            if prop in required:
                problems.append((path, f"required by CRM property {prop}, but missing or empty"))
            continue  # absent optional fields are left untouched in the CRM, not cleared
        if blank:
            properties[prop] = ""  # an explicit empty string clears the property
            continue
        kind = types.get(prop) or ("enumeration" if prop in options else "string")
        try:
            properties[prop] = coerce(kind, value, options.get(prop))
        except ValueError as exc:
            problems.append((path, f"CRM property {prop}: {exc}"))
    return properties, problems
