"""Policy problems with file, line and field, and the error that lists them all."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from bot.errors import PolicyError
from bot.policy.source import Source


@dataclass(frozen=True, order=True)
class PolicyIssue:
    """One problem in one policy file."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class PolicyFileError(PolicyError):
    """Policy files are invalid; `issues` lists every problem found, in file and line order."""

    def __init__(self, issues: Iterable[PolicyIssue]) -> None:
        self.issues = sorted(issues, key=lambda i: (i.file, i.line or 0, i.field, i.message))
        super().__init__("\n".join(str(issue) for issue in self.issues))


def field_path(loc: Sequence[Any]) -> str:
    """`("actions", "refund", "rules", 0, "when")` -> `"actions.refund.rules[0].when"`."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def issue_at(file: str, source: Source, loc: Sequence[Any], message: str) -> PolicyIssue:
    """An issue at `loc`, with the line of that key (or of its nearest ancestor)."""
    return PolicyIssue(file, source.line_of(loc), field_path(loc), message)


def validation_issues(
    file: str, source: Source, error: ValidationError, prefix: Sequence[Any] = (), model: type | None = None
) -> list[PolicyIssue]:
    """One issue per pydantic error, located in the file; `model` lets unknown keys suggest known ones."""
    found = []
    for err in error.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if p != "[key]")  # a bad mapping key is reported at the key
        found.append(issue_at(file, source, (*prefix, *loc), _message(err, model)))
    return found


def _message(err: Any, model: type | None) -> str:
    kind, loc = err["type"], err["loc"]
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return _unknown_key(str(loc[-1]), _allowed_keys(model, loc[:-1]))
    message = str(err["msg"])
    if kind in ("value_error", "assertion_error"):
        return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return f"{message}, got {_short_repr(err.get('input'))}"


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:59] + "…"


def _unknown_key(key: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(key, allowed, n=1)
    if close:
        return f"unknown key {key!r} (did you mean {close[0]!r}?)"
    return f"unknown key {key!r}" + (f" (allowed: {', '.join(allowed)})" if allowed else "")


def _allowed_keys(model: Any, loc: Sequence[Any]) -> list[str]:
    # Follow the loc through the model's annotations to the mapping that had the stray key.
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            fields = {f.alias or name: f.annotation for name, f in current.model_fields.items()}
            current = fields.get(str(part))
        else:
            args = typing.get_args(current)
            current = args[-1] if args else None
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return sorted(f.alias or name for name, f in current.model_fields.items())
    return []


def _unwrap(annotation: Any) -> Any:
    """Strip `Annotated[...]` and `X | None` so the model type shows through."""
    while True:
        if typing.get_origin(annotation) is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if typing.get_origin(annotation) in (typing.Union, types.UnionType) and len(args) == 1:
            annotation = args[0]
            continue
        return annotation
