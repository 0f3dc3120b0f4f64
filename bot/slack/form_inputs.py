"""One input element per field kind, and the way back from state.values to a typed JSON value."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from slack_sdk.models.blocks import (
    CheckboxesElement,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
)

from bot.flow.requests import storable
from bot.slack.fields import present, show
from bot.slack.ids import Id

if TYPE_CHECKING:
    from bot.slack.schema_form import FormField

INPUT_MAX = 3000  # plain_text_input holds at most this; longer values stay as they are, untouched
MULTILINE_FROM = 150


def scalar_kind(schema: dict[str, Any]) -> str | None:
    """ "string", "number", "integer" or "boolean" for a scalar item schema, else None."""
    kind = schema.get("type")
    return kind if kind in {"string", "number", "integer", "boolean"} else None


def element_for(field: FormField, value: Any) -> dict[str, Any] | None:
    """The element pre-filled with `value`; None when the value is too long to edit in Slack."""
    builder = {
        "text": _text,
        "number": _number,
        "integer": _number,
        "select": _select,
        "boolean": _boolean,
        "lines": _lines,
        "json": _json,
    }[field.kind]
    return builder(field, value)


def _text_input(initial: str | None, *, multiline: bool, schema: dict[str, Any]) -> dict[str, Any] | None:
    if initial is not None and len(initial) > INPUT_MAX:
        return None
    max_length = schema.get("maxLength") if isinstance(schema.get("maxLength"), int) else None
    min_length = schema.get("minLength") if isinstance(schema.get("minLength"), int) else None
    return PlainTextInputElement(
        action_id=Id.FIELD_INPUT,
        initial_value=initial or None,
        multiline=multiline or None,
        max_length=min(max_length, INPUT_MAX) if max_length else None,
        min_length=min(min_length, INPUT_MAX) if min_length else None,
    ).to_dict()


def _text(field: FormField, value: Any) -> dict[str, Any] | None:
    initial = show(value) if present(value) and value is not None else None
    long_form = (
        (isinstance(field.schema.get("maxLength"), int) and field.schema["maxLength"] > MULTILINE_FROM)
        or field.schema.get("format") == "textarea"
        or (initial is not None and (len(initial) > MULTILINE_FROM or "\n" in initial))
    )
    return _text_input(initial, multiline=long_form, schema=field.schema)


def _number(field: FormField, value: Any) -> dict[str, Any]:
    numeric = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    bounds = {
        k: field.schema[s]
        for k, s in (("min_value", "minimum"), ("max_value", "maximum"))
        if isinstance(field.schema.get(s), int | float)
    }
    return NumberInputElement(
        action_id=Id.FIELD_INPUT,
        is_decimal_allowed=field.kind == "number",
        initial_value=str(value) if numeric else None,
        **bounds,
    ).to_dict()


def _option(index: int, value: Any) -> Option:
    return Option(value=str(index), text=show(value)[:75] or " ")


def _select(field: FormField, value: Any) -> dict[str, Any]:
    enum = field.schema["enum"]
    options = [_option(i, v) for i, v in enumerate(enum)]
    initial = next((options[i] for i, v in enumerate(enum) if present(value) and v == value), None)
    return StaticSelectElement(action_id=Id.FIELD_INPUT, options=options, initial_option=initial).to_dict()


def _boolean(field: FormField, value: Any) -> dict[str, Any]:
    yes = Option(value="true", text="Yes")
    return CheckboxesElement(
        action_id=Id.FIELD_INPUT, options=[yes], initial_options=[yes] if value is True else None
    ).to_dict()


def _lines(field: FormField, value: Any) -> dict[str, Any] | None:
    initial = "\n".join(show(v) for v in value) if isinstance(value, list) else None
    return _text_input(initial, multiline=True, schema={})


def _json(field: FormField, value: Any) -> dict[str, Any] | None:
    initial = json.dumps(value, indent=2, ensure_ascii=False) if present(value) else None
    return _text_input(initial, multiline=True, schema={})


def convert(field: FormField, state: dict[str, Any], was_present: bool, absent: Any) -> Any:
    """The typed value of a submitted element; `absent` for an empty optional field. ValueError when invalid."""
    if field.kind == "boolean":
        checked = bool(state.get("selected_options"))
        return checked if checked or was_present or field.required else absent
    if field.kind == "select":
        chosen = state.get("selected_option")
        return field.schema["enum"][int(chosen["value"])] if chosen else absent
    raw = state.get("value")
    if raw is None or (isinstance(raw, str) and not raw.strip() and field.kind != "text"):
        return absent
    if field.kind in {"number", "integer"}:
        return _to_number(str(raw), field.kind)
    if field.kind == "lines":
        item = scalar_kind(field.schema.get("items") or {}) or "string"
        return [_scalar(line.strip(), item) for line in str(raw).splitlines() if line.strip()]
    if field.kind == "json":
        try:
            value = json.loads(raw)
        except ValueError as exc:
            raise ValueError(f"not valid JSON: {exc}") from None
        return storable(value)  # Python's parser takes NaN and 1e999; no database stores them
    return str(raw)


def _to_number(raw: str, kind: str) -> int | float:
    try:
        number = float(raw)
    except ValueError:
        raise ValueError("must be a number") from None
    if not math.isfinite(number):
        raise ValueError("must be a finite number")
    if number.is_integer() and "." not in raw and "e" not in raw.lower():
        return int(raw.strip())
    if kind == "integer":
        if not number.is_integer():
            raise ValueError("must be a whole number")
        return int(number)
    return number


def _scalar(raw: str, kind: str) -> Any:
    if kind in {"number", "integer"}:
        return _to_number(raw, kind)
    if kind == "boolean":
        if raw.lower() not in {"true", "false", "yes", "no"}:
            raise ValueError(f"{raw!r} is not true or false")
        return raw.lower() in {"true", "yes"}
    return raw
