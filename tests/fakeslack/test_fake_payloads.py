"""payloads.py and mentions.py: typed state values and action entries; mention syntax detection."""

from __future__ import annotations

from typing import Any

import pytest

from bot.fakeslack.mentions import find_mentions
from bot.fakeslack.payloads import DriverError, action, state_entry, state_values

LOW = {"text": {"type": "plain_text", "text": "Low"}, "value": "low"}
HIGH = {"text": {"type": "plain_text", "text": "High"}, "value": "high"}


@pytest.mark.parametrize(
    ("element", "value", "expected"),
    [
        ({"type": "plain_text_input"}, "", {"value": None}),
        ({"type": "plain_text_input", "initial_value": "draft"}, ..., {"value": "draft"}),
        ({"type": "number_input", "is_decimal_allowed": False}, 3, {"value": "3"}),
        ({"type": "static_select", "options": [LOW, HIGH]}, "high", {"selected_option": HIGH}),
        ({"type": "static_select", "options": [LOW], "initial_option": LOW}, ..., {"selected_option": LOW}),
        (
            {"type": "static_select", "option_groups": [{"label": {}, "options": [LOW]}]},
            "low",
            {"selected_option": LOW},
        ),
        ({"type": "checkboxes", "options": [LOW, HIGH]}, ["low", "high"], {"selected_options": [LOW, HIGH]}),
        ({"type": "checkboxes", "options": [LOW]}, ..., {"selected_options": []}),
        ({"type": "radio_buttons", "options": [LOW]}, "low", {"selected_option": LOW}),
        ({"type": "users_select"}, "U1", {"selected_user": "U1"}),
        ({"type": "multi_users_select", "initial_users": ["U2"]}, ..., {"selected_users": ["U2"]}),
        ({"type": "conversations_select"}, "C1", {"selected_conversation": "C1"}),
        ({"type": "datepicker"}, "2026-10-01", {"selected_date": "2026-10-01"}),
        ({"type": "timepicker"}, "09:00", {"selected_time": "09:00"}),
        (
            {"type": "external_select"},
            "x",
            {"selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": "x"}},
        ),
    ],
)
def test_state_entry_types(element: dict[str, Any], value: Any, expected: dict[str, Any]) -> None:
    given = value is not ...
    assert state_entry(element, value if given else None, given=given) == {"type": element["type"], **expected}


def test_state_values_keyed_by_block_and_action() -> None:
    blocks = [
        {"type": "input", "block_id": "b1", "element": {"type": "plain_text_input", "action_id": "a1"}},
        {
            "type": "input",
            "block_id": "b2",
            "optional": True,
            "element": {"type": "static_select", "action_id": "a2", "options": [LOW]},
        },
        {"type": "actions", "block_id": "b3", "elements": [{"type": "button", "action_id": "go"}]},
    ]
    values = state_values(blocks, {"b1": "text", "a2": "low"}, enforce_required=True)
    assert values == {
        "b1": {"a1": {"type": "plain_text_input", "value": "text"}},
        "b2": {"a2": {"type": "static_select", "selected_option": LOW}},
    }
    with pytest.raises(DriverError, match="required"):
        state_values(blocks, {}, enforce_required=True)
    assert state_values(blocks, {}, enforce_required=False)["b1"]["a1"]["value"] is None


def test_action_entries() -> None:
    btn = {"type": "button", "action_id": "go", "value": "v", "text": {"type": "plain_text", "text": "Go"}}
    assert action(btn, "b", None, "1.2") == {
        "type": "button",
        "action_id": "go",
        "block_id": "b",
        "value": "v",
        "text": btn["text"],
        "action_ts": "1.2",
    }
    select = {"type": "static_select", "action_id": "s", "options": [LOW]}
    assert action(select, "b", "low", "1.2")["selected_option"] == LOW
    with pytest.raises(DriverError, match="needs value"):
        action(select, "b", None, "1.2")


def test_find_mentions_walks_text_fields_only() -> None:
    view = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Hi <@U1>"},
        "private_metadata": "<!channel>",
        "blocks": [
            {
                "type": "section",
                "fields": [{"type": "mrkdwn", "text": "ok"}, {"type": "mrkdwn", "text": "<#C1> <mailto:a@b.c|mail>"}],
            }
        ],
    }
    hits = find_mentions("view", None, "V1", view)
    assert [(h.pointer, h.matches) for h in hits] == [
        ("/title/text", ["<@U1>"]),
        ("/blocks/0/fields/1/text", ["<#C1>", "<mailto:a@b.c|mail>"]),
    ]
    assert find_mentions("message", "C1", "1.1", {"text": "a &lt;!here&gt; b"}) == []
