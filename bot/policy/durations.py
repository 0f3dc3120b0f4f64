"""Policy durations: `<positive integer><s|m|h|d>`, nothing looser."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import PlainSerializer, PlainValidator

_DURATION = re.compile(r"^([1-9][0-9]*)([smhd])$")
_UNIT = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> timedelta:
    """`"30m"` -> timedelta(minutes=30); ValueError for anything else ("5 minutes", "1.5h", "10", "-1h")."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"expected a duration like 90s, 30m, 24h or 7d, got {text!r}")
    amount, unit = match.groups()
    try:
        return timedelta(**{_UNIT[unit]: int(amount)})
    except OverflowError:
        raise ValueError(f"duration {text!r} is too large") from None


def format_duration(value: timedelta) -> str:
    """The shortest policy spelling of `value` (for messages and round-trips)."""
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _validate(value: Any) -> timedelta:
    # Plain validator: a bare number is refused, so `10` never silently means 10 seconds.
    # A positive timedelta is accepted for models built in Python (YAML cannot produce one).
    if isinstance(value, timedelta) and value > timedelta(0):
        return value
    return parse_duration(value)


Duration = Annotated[timedelta, PlainValidator(_validate), PlainSerializer(format_duration)]
