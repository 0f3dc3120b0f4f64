"""Build interaction payload parts from stored blocks: find the clicked element, type the state values."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# element type -> (state key, initial key); text-like inputs carry "value"
STATE_KEYS = {
    "plain_text_input": ("value", "initial_value"),
    "number_input": ("value", "initial_value"),
    "email_text_input": ("value", "initial_value"),
    "url_text_input": ("value", "initial_value"),
    "static_select": ("selected_option", "initial_option"),
    "external_select": ("selected_option", "initial_option"),
    "radio_buttons": ("selected_option", "initial_option"),
    "overflow": ("selected_option", ""),
    "multi_static_select": ("selected_options", "initial_options"),
    "multi_external_select": ("selected_options", "initial_options"),
    "checkboxes": ("selected_options", "initial_options"),
    "users_select": ("selected_user", "initial_user"),
    "multi_users_select": ("selected_users", "initial_users"),
    "conversations_select": ("selected_conversation", "initial_conversation"),
    "multi_conversations_select": ("selected_conversations", "initial_conversations"),
    "channels_select": ("selected_channel", "initial_channel"),
    "multi_channels_select": ("selected_channels", "initial_channels"),
    "datepicker": ("selected_date", "initial_date"),
    "timepicker": ("selected_time", "initial_time"),
    "datetimepicker": ("selected_date_time", "initial_date_time"),
    "rich_text_input": ("rich_text_value", "initial_value"),
    "file_input": ("files", ""),
}
LIST_KEYS = {"selected_options", "selected_users", "selected_conversations", "selected_channels", "files"}


class DriverError(AssertionError):
    """The test asked for something a Slack user could not do (click an absent button, skip a required input)."""


def elements(blocks: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(block, element) for every interactive element: actions elements, section accessories, input elements."""
    for block in blocks:
        if block.get("type") == "actions":
            for el in block.get("elements") or []:
                yield block, el
        elif block.get("type") == "section" and isinstance(block.get("accessory"), dict):
            yield block, block["accessory"]
        elif block.get("type") == "input" and isinstance(block.get("element"), dict):
            yield block, block["element"]


def find_element(
    blocks: list[dict[str, Any]], action_id: str, *, block_id: str | None = None, value: Any = None
) -> tuple[str, dict[str, Any]]:
    """The one element a user can see with that action_id (narrowed by block_id / value)."""
    found = [
        (b["block_id"], el)
        for b, el in elements(blocks)
        if el.get("action_id") == action_id and block_id in (None, b.get("block_id")) and _offers(el, value)
    ]
    if not found:
        seen = sorted({str(el.get("action_id")) for _, el in elements(blocks)})
        raise DriverError(f"no element action_id={action_id!r} block_id={block_id!r} value={value!r}; visible: {seen}")
    if len(found) > 1:
        raise DriverError(f"{len(found)} elements match action_id={action_id!r}; pass block_id= or value=")
    return found[0]


def _offers(el: dict[str, Any], value: Any) -> bool:
    """Whether the element can produce `value` (a button's own value, or one of its options)."""
    if value is None:
        return True
    if el.get("type") == "button":
        return bool(el.get("value") == value)
    if _options(el):
        wanted = value if isinstance(value, (list, tuple)) else [value]
        return all(option(el, v) is not None for v in wanted)
    return True


def _options(el: dict[str, Any]) -> list[dict[str, Any]]:
    opts = list(el.get("options") or [])
    for group in el.get("option_groups") or []:
        opts.extend(group.get("options") or [])
    return opts


def option(el: dict[str, Any], value: Any) -> dict[str, Any] | None:
    """The option object with that value (external selects accept any value, as their options are dynamic)."""
    if isinstance(value, dict):
        return value
    for opt in _options(el):
        if opt.get("value") == value:
            return opt
    if "external" in str(el.get("type")):
        return {"text": {"type": "plain_text", "text": str(value)}, "value": str(value)}
    return None


def state_entry(el: dict[str, Any], value: Any, *, given: bool) -> dict[str, Any]:
    """`{type, value|selected_*...}` as Slack puts it in state.values; empty text becomes null."""
    kind = str(el.get("type"))
    key, initial = STATE_KEYS.get(kind, ("value", "initial_value"))
    raw = value if given else el.get(initial) if initial else None
    entry: dict[str, Any] = {"type": kind}
    if key in ("selected_option",):
        entry[key] = None if raw is None else _require_option(el, raw)
    elif key == "selected_options":
        entry[key] = [_require_option(el, v) for v in (raw or [])]
    elif key in LIST_KEYS:
        entry[key] = list(raw or [])
    elif key == "rich_text_value":
        entry[key] = raw if isinstance(raw, dict) or raw is None else _rich_text(str(raw))
    elif kind in ("plain_text_input", "number_input", "email_text_input", "url_text_input"):
        entry[key] = None if raw in (None, "") else str(raw)
    else:
        entry[key] = raw
    return entry


def _require_option(el: dict[str, Any], value: Any) -> dict[str, Any]:
    found = option(el, value)
    if found is None:
        raise DriverError(f"{el.get('action_id')!r} offers no option with value {value!r}")
    return found


def _rich_text(text: str) -> dict[str, Any]:
    return {
        "type": "rich_text",
        "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
    }


def state_values(blocks: list[dict[str, Any]], values: dict[str, Any], *, enforce_required: bool) -> dict[str, Any]:
    """state.values keyed by real block_id/action_id; `values` keys may be action_ids or block_ids."""
    unused = set(values)
    out: dict[str, Any] = {}
    for block, el in elements(blocks):
        if el.get("type") in ("button", "workflow_button") or not el.get("action_id"):
            continue
        key = el["action_id"] if el["action_id"] in values else block["block_id"]
        given = key in values
        unused.discard(key)
        entry = state_entry(el, values.get(key), given=given)
        _check_input(block, el, entry, enforce_required)
        out.setdefault(block["block_id"], {})[el["action_id"]] = entry
    if unused:
        raise DriverError(f"no input with action_id/block_id {sorted(unused)} in this view")
    return out


def _check_input(block: dict[str, Any], el: dict[str, Any], entry: dict[str, Any], enforce: bool) -> None:
    """Refuse what Slack's own client refuses before sending: missing required input, length bounds."""
    if not enforce or block.get("type") != "input":
        return
    filled = [v for k, v in entry.items() if k != "type" and v not in (None, [], "")]
    if not filled and not block.get("optional", False):
        raise DriverError(f"input {block['block_id']!r} is required; Slack would not submit")
    text = entry.get("value")
    if isinstance(text, str):
        if el.get("max_length") and len(text) > el["max_length"]:
            raise DriverError(f"input {block['block_id']!r} longer than max_length {el['max_length']}")
        if el.get("min_length") and len(text) < el["min_length"]:
            raise DriverError(f"input {block['block_id']!r} shorter than min_length {el['min_length']}")


def action(el: dict[str, Any], block_id: str, value: Any, action_ts: str) -> dict[str, Any]:
    """One entry of block_actions `actions`, typed by the element."""
    out: dict[str, Any] = {"type": el.get("type"), "action_id": el.get("action_id"), "block_id": block_id}
    if el.get("type") == "button":
        out["text"] = el.get("text")
        for key in ("value", "style", "url"):
            if key in el:
                out[key] = el[key]
    else:
        if value is None:
            raise DriverError(f"choosing in {el.get('action_id')!r} needs value=")
        entry = state_entry(el, value, given=True)
        entry.pop("type")
        out.update(entry)
    out["action_ts"] = action_ts
    return out
