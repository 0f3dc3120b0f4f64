"""Counts people read are written out: "1 attempt", "2 attempts", never "attempt(s)"."""

from __future__ import annotations

import io
import re
import tokenize
from pathlib import Path

import pytest

from bot.words import plural

ROOT = Path(__file__).resolve().parents[1]
# Where words people read live: product code (CLI, Slack, API errors), policies and the docs.
READ_BY_PEOPLE = ["bot", "connectors", "countersign", "policies", "docs"]
SUFFIXES = {".py", ".yaml", ".yml", ".md"}
PAREN_PLURAL = re.compile(r"[a-z]\(s\)")


def _text_people_read(path: Path) -> list[tuple[int, str]]:
    """(line, text) of a file's prose: string literals in Python (code such as match(s) is not prose)."""
    source = path.read_text(encoding="utf-8")
    if path.suffix != ".py":
        return list(enumerate(source.splitlines(), 1))
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return [(tok.start[0], tok.string) for tok in tokens if tok.type == tokenize.STRING]


@pytest.mark.parametrize(
    ("count", "word", "many", "expected"),
    [
        (1, "attempt", None, "1 attempt"),
        (0, "attempt", None, "0 attempts"),
        (2, "more field", None, "2 more fields"),
        (1200, "proposal", None, "1,200 proposals"),
        (3, "person", "people", "3 people"),
    ],
)
def test_plural(count: int, word: str, many: str | None, expected: str) -> None:
    assert plural(count, word, many) == expected


def test_no_parenthesised_plurals_anywhere_people_read() -> None:
    files = [ROOT / "README.md"] + [
        p for d in READ_BY_PEOPLE for p in (ROOT / d).rglob("*") if p.suffix in SUFFIXES and p.is_file()
    ]
    found = [
        f"{p.relative_to(ROOT)}:{n}: {text.strip()}"
        for p in files
        if p.name != "words.py"  # its docstring names the form it replaces
        for n, text in _text_people_read(p)
        if PAREN_PLURAL.search(text.replace("http(s)", ""))
    ]
    assert found == []
