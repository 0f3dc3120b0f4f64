"""Durations: `<positive integer><s|m|h|d>` only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.policy import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
        ("1s", timedelta(seconds=1)),
    ],
)
def test_valid_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["5 minutes", "-1h", "1.5h", "10", "", "0m", "05m", "30M", "1w", " 30m", "30m ", "1h30m", "h", "٣m"]
)
def test_malformed_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="expected a duration like 90s"):
        parse_duration(text)


@pytest.mark.parametrize("value", [10, 1.5, None, timedelta(hours=1), ["1h"]])
def test_non_strings_are_refused(value: object) -> None:
    with pytest.raises(ValueError, match="expected a duration like 90s"):
        parse_duration(value)  # type: ignore[arg-type]


def test_absurdly_large_duration_is_an_error_not_a_crash() -> None:
    with pytest.raises(ValueError, match="too large"):
        parse_duration("99999999999999d")


@pytest.mark.parametrize(("text", "shortest"), [("90s", "90s"), ("120s", "2m"), ("24h", "1d"), ("36h", "36h")])
def test_format_gives_the_shortest_spelling(text: str, shortest: str) -> None:
    assert format_duration(parse_duration(text)) == shortest
    assert parse_duration(shortest) == parse_duration(text)
