"""Schema errors in the words a person would use ("currency is missing", "order_id must look like ORD-1234"),
from the schema's own hints (title, pattern, errorMessage); never the validator's text, which quotes the value."""

from __future__ import annotations

import re
from typing import Any

from jsonschema import ValidationError

from bot.words import plural

TYPES = {
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "array": "a list",
    "object": "an object",
    "null": "empty (null)",
}
FORMATS = {
    "email": "an email address",
    "date": "a date such as 2025-01-31",
    "date-time": "a date and time such as 2025-01-31T09:00:00Z",
    "time": "a time such as 09:00:00Z",
    "uri": "a full web address (https://…)",
    "uuid": "a UUID",
    "ipv4": "an IPv4 address",
    "ipv6": "an IPv6 address",
    "hostname": "a host name",
}


def describe(error: ValidationError, name: str, schema: dict[str, Any]) -> str:
    """The problem with the field called `name` whose (sub)schema is `schema`."""
    override = _override(schema, str(error.validator))
    if override:
        return override
    kind = str(error.validator)
    rule: Any = error.validator_value
    if kind == "required":
        return f"{name} is missing"
    if kind == "type":
        wanted = rule if isinstance(rule, list) else [rule]
        return f"{name} must be {_or([TYPES.get(str(t), str(t)) for t in wanted])}"
    if kind == "enum":
        return f"{name} must be one of {_or([_value(v) for v in rule])}"
    if kind == "const":
        return f"{name} must be {_value(rule)}"
    if kind == "pattern":
        example = example_for(str(rule))
        return f"{name} must look like {example}" if example else f"{name} must match the pattern {rule}"
    if kind == "format":
        return f"{name} must be {FORMATS.get(str(rule), f'in {rule} format')}"
    if kind in {"minLength", "maxLength"}:
        return f"{name} must be at {'least' if kind == 'minLength' else 'most'} {plural(rule, 'character')} long"
    if kind in {"minItems", "maxItems"}:
        return f"{name} must have at {'least' if kind == 'minItems' else 'most'} {plural(rule, 'item')}"
    if kind in {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}:
        words = {"minimum": "at least", "maximum": "at most", "exclusiveMinimum": "more than"}
        return f"{name} must be {words.get(kind, 'less than')} {_value(rule)}"
    if kind == "multipleOf":
        return f"{name} must be a multiple of {_value(rule)}"
    if kind == "uniqueItems":
        return f"{name} must not list the same item twice"
    if kind == "additionalProperties" and isinstance(error.instance, dict):
        known = set(schema.get("properties") or {})
        extra = sorted(str(k) for k in error.instance if k not in known)
        fields = ", ".join(extra[:5]) + (f" and {len(extra) - 5} more" if len(extra) > 5 else "")
        where = f" in {name}" if name != "payload" else ""
        return f"{fields} {'is not a field' if len(extra) == 1 else 'are not fields'}{where} this action takes"
    if kind in {"oneOf", "anyOf"}:
        return f"{name} does not match any of the allowed shapes"
    return f"{name} does not meet the schema's {kind} rule"


def _override(schema: dict[str, Any], kind: str) -> str | None:
    # errorMessage as in ajv-errors: one text for every problem, or one per keyword.
    message = schema.get("errorMessage")
    if isinstance(message, dict):
        message = message.get(kind)
    return message.strip() if isinstance(message, str) and message.strip() else None


def _value(value: Any) -> str:
    return (
        value
        if isinstance(value, str)
        else "null"
        if value is None
        else str(value).lower()
        if isinstance(value, bool)
        else str(value)
    )


def _or(items: list[str]) -> str:
    if len(items) > 10:
        items = [*items[:10], f"{len(items) - 10} more"]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1] if items else "nothing"


_SIMPLE = re.compile(r"^\^?((?:[A-Za-z0-9_ :/.#-]|\\[.\-/#]|\[[^\]\[\\^]+\]|\\d)(?:\{\d+(?:,\d*)?\}|\+)?)+\$?$")
_TOKEN = re.compile(r"(\\d|\\[.\-/#]|\[[^\]]+\]|[A-Za-z0-9_ :/.#-])(\{(\d+)(?:,\d*)?\}|\+)?")


def example_for(pattern: str) -> str | None:
    """A readable example of a simple pattern ("^ORD-[0-9]{4,}$" -> "ORD-1234"); None when it is not simple."""
    if not _SIMPLE.match(pattern) or len(pattern) > 100:
        return None
    out, digit = [], 1
    for token, _repeat, count in _TOKEN.findall(pattern.strip("^$")):
        times = int(count) if count else 1
        for _ in range(times):
            if token == "\\d" or (token.startswith("[") and "0-9" in token):
                out.append(str(digit % 10))
                digit += 1
            elif token.startswith("["):
                out.append(token[1])
            else:
                out.append(token[-1])
    literal = any(not (t.startswith("[") or t == "\\d") for t, _, _ in _TOKEN.findall(pattern.strip("^$")))
    return "".join(out) if out and literal else None  # "[a-z-]+" alone has no telling example
