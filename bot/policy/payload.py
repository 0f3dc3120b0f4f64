"""Check a payload against its action's JSON Schema, listing every problem (never raising)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jsonschema import ValidationError

from bot.policy.models import ActionPolicy
from bot.policy.problem_words import describe

_MAX_MESSAGE = 300  # jsonschema quotes the offending value, which may be megabytes of agent output


@dataclass(frozen=True)
class Problem:
    """One way the payload breaks the schema; `path` is dotted ("items.0.sku"), "" for the root."""

    path: str
    message: str


def validate_payload(action: ActionPolicy, payload: Any) -> list[Problem]:
    """Every schema problem of `payload`, sorted by path."""
    try:
        errors = list(action.validator.iter_errors(payload))
    except RecursionError:
        return [Problem("", "payload nests too deeply to be checked")]
    except Exception as exc:  # noqa: BLE001 - e.g. an unresolvable $ref: report it, the human still decides
        return [Problem("", _short(f"schema could not be applied: {type(exc).__name__}: {exc}"))]
    found = sorted((_parts(error), _short(_words(error))) for error in errors)
    return [Problem(".".join(str(p) for _, p in parts), message) for parts, message in found]


def _words(error: ValidationError) -> str:
    # The field's own schema gives its name (title) and hints; for a missing key that is the key's schema.
    path = [str(p) for _, p in _parts(error)]
    own: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    schema = own
    if error.validator == "required":
        properties = own.get("properties")
        found = properties.get(path[-1]) if isinstance(properties, dict) and path else None
        schema = found if isinstance(found, dict) else {}
    title = schema.get("title")
    name = title.strip() if isinstance(title, str) and title.strip() else ".".join(path) or "payload"
    return describe(error, name, schema if error.validator == "required" else own)


def _parts(error: ValidationError) -> tuple[tuple[int, Any], ...]:
    # Sort numeric segments as numbers ("items.2" before "items.10"); a missing key points at the key.
    path = list(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict) and isinstance(error.validator_value, list):
        missing = [key for key in error.validator_value if error.message.startswith(repr(key))]
        path += [key for key in missing if key not in error.instance][:1]
    return tuple((0, p) if isinstance(p, int) else (1, str(p)) for p in path)


def _short(message: str) -> str:
    return message if len(message) <= _MAX_MESSAGE else message[: _MAX_MESSAGE - 1] + "…"
