"""Counts as people read them: "1 attempt", "2 attempts" (never "attempt(s)")."""

from __future__ import annotations


def plural(count: int, word: str, many: str | None = None) -> str:
    """ "1 approval" / "3 approvals"; pass `many` for irregular words (plural(2, "person", "people"))."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"
