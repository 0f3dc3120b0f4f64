"""JSON Schema -> modal input blocks, state.values -> payload, and problems -> inline errors by block_id."""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from bot.sensitive import masked
from bot.slack.fields import MISSING, present, value_at
from bot.slack.form_inputs import convert, element_for, scalar_kind
from bot.slack.ids import Id

ABSENT = object()
ERROR_MAX = 300


@dataclass(frozen=True)
class FormField:
    """One editable leaf of the payload: its `keys` from the top (() = the whole payload) and how it is entered.
    Keys are kept as keys: "limits.max_cents" is one key, never the path limits -> max_cents."""

    keys: tuple[str, ...]
    kind: str  # text | number | integer | select | boolean | lines | json
    required: bool
    schema: dict[str, Any]

    @property
    def path(self) -> str:
        """The dotted path people read (and schema problems are reported by)."""
        return ".".join(self.keys)

    @property
    def block_id(self) -> str:
        """The input block's id: "f:" + dotted path when that names the keys unambiguously and fits Slack's 255
        characters; else "f:#" + a hash of the keys (a key with a dot or "#" would read as another path)."""
        bid = f"{Id.FIELD_BLOCK}{self.path}"
        plain = not any("." in k or "#" in k for k in self.keys) and len(bid) <= 200
        if plain:
            return bid
        digest = hashlib.sha256(json.dumps(self.keys, ensure_ascii=False).encode()).hexdigest()[:32]
        return f"{Id.FIELD_BLOCK}#{digest}"

    @property
    def label(self) -> str:
        """Nested fields are labelled by their dotted path; a key that holds a dot is quoted, so the key
        "limits.max_cents" and the nested limits -> max_cents read differently."""
        return ".".join(f'"{k}"' if "." in k else k for k in self.keys) or "payload"


def form_fields(schema: Any, keys: tuple[str, ...] = (), required: bool = True) -> list[FormField]:
    """Every leaf of an object schema, depth first, in the schema's order."""
    schema = schema if isinstance(schema, dict) else {}
    props = schema.get("properties")
    if isinstance(props, dict) and props and _types(schema) in ([], ["object"]):
        needed = set(schema.get("required") or [])
        out: list[FormField] = []
        for key, sub in props.items():
            out += form_fields(sub, (*keys, str(key)), required and key in needed)
        return out
    return [FormField(keys, _kind(schema), required, schema)]


def _types(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type")
    listed = kind if isinstance(kind, list) else [kind] if kind else []
    return [t for t in listed if t != "null"]


def _kind(schema: dict[str, Any]) -> str:
    enum = schema.get("enum")
    if isinstance(enum, list) and enum and len(enum) <= 100 and all(not isinstance(v, dict | list) for v in enum):
        return "select"
    types = _types(schema)
    if len(types) == 1 and types[0] in {"string", "number", "integer", "boolean"}:
        return {"string": "text"}.get(types[0], types[0])
    items = schema.get("items")
    if types == ["array"] and isinstance(items, dict) and scalar_kind(items):
        return "lines"
    return "json"


SENSITIVE_HINT = "Set, and hidden because it is sensitive. Leave it empty to keep it, or type a new value."


def hidden(field: FormField, payload: Any, sensitive: list[str]) -> bool:
    """A sensitive value the payload has (or a value with one inside, such as a list of contacts): never sent to
    Slack, kept unless a new one is typed."""
    value = value_at(payload, field.keys)
    return present(value) and masked(value, sensitive, field.path or "") != value


def input_block(field: FormField, payload: Any, sensitive: list[str] | None = None) -> dict[str, Any] | None:
    """The input block for a field pre-filled from the payload (never with a sensitive value); None when the
    value cannot fit an input."""
    secret = hidden(field, payload, sensitive or [])
    element = element_for(field, MISSING if secret else value_at(payload, field.keys))
    if element is None:
        return None
    block: dict[str, Any] = {
        "type": "input",
        "block_id": field.block_id,
        "element": element,
        "label": {"type": "plain_text", "text": field.label[:2000]},
        "optional": not field.required or field.kind == "boolean" or secret,
    }
    hint = SENSITIVE_HINT if secret else field.schema.get("description") or field.schema.get("title")
    if isinstance(hint, str) and hint.strip():
        block["hint"] = {"type": "plain_text", "text": hint[:2000]}
    return block


def parse(
    fields: list[FormField], values: dict[str, Any], current: Any, sensitive: list[str] | None = None
) -> tuple[Any, dict[str, str]]:
    """(new payload, errors by block_id): submitted fields applied over the current payload, types converted; a
    sensitive field left empty keeps its value."""
    payload = copy.deepcopy(current) if isinstance(current, dict) else current
    errors: dict[str, str] = {}
    by_block = {f.block_id: f for f in fields}
    for block_id, entry in values.items():
        field = by_block.get(block_id)
        if field is None:
            continue
        try:
            value = _convert(field, (entry or {}).get(Id.FIELD_INPUT) or {}, present(value_at(current, field.keys)))
        except ValueError as exc:
            errors[block_id] = str(exc)[:ERROR_MAX]
            continue
        if (value is ABSENT or value == "") and hidden(field, current, sensitive or []):
            continue
        payload = _set(payload, field.keys, value)
    return payload, errors


def _convert(field: FormField, state: dict[str, Any], was_present: bool) -> Any:
    return convert(field, state, was_present, ABSENT)


def _set(payload: Any, keys: tuple[str, ...], value: Any) -> Any:
    if not keys:
        return None if value is ABSENT else value
    if not isinstance(payload, dict):
        payload = {}
    node, parts = payload, keys
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            if value is ABSENT:
                return payload
            node[part] = {}
        node = node[part]
    if value is ABSENT:
        node.pop(parts[-1], None)
    else:
        node[parts[-1]] = value
    return payload


def errors_for_blocks(block_ids: list[str], problems: dict[str, str]) -> dict[str, str]:
    """Problems by payload path -> errors by input block_id (the nearest field shown, else the first input)."""
    prefix = str(Id.FIELD_BLOCK)
    shown = [
        (bid[len(prefix) :], bid) for bid in block_ids if bid.startswith(prefix) and not bid.startswith(prefix + "#")
    ]  # hashed ids: path unknown
    out: dict[str, list[str]] = {}
    for path, message in problems.items():
        owners = [(p, bid) for p, bid in shown if not p or path == p or path.startswith(p + ".")]
        owner = max(owners, key=lambda pair: len(pair[0]), default=None)
        target = owner[1] if owner else block_ids[0] if block_ids else None
        if target is not None:
            out.setdefault(target, []).append(message if owner else f"{path or 'payload'}: {message}")
    return {bid: "; ".join(msgs)[:ERROR_MAX] for bid, msgs in out.items()}
