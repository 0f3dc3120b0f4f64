"""limits.py: every Block Kit limit of slack-contract §5, with Slack-style messages and json-pointers."""

from __future__ import annotations

from typing import Any

import pytest

from bot.fakeslack.limits import check_message_blocks, check_view, view_size


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def section(text: str = "x", **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn(text), **extra}


def button(action_id: str = "go", text: str = "Go", **extra: Any) -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "text": plain(text), **extra}


def opt(value: str, text: str = "Option") -> dict[str, Any]:
    return {"text": plain(text), "value": value}


def err(message: str, pointer: str) -> str:
    return f"[ERROR] {message} [json-pointer:{pointer}]"


def test_valid_approval_message_has_no_errors() -> None:
    blocks = [
        {"type": "header", "text": plain("Deploy api to prod?")},
        section("*Agent* wants to deploy", fields=[mrkdwn("a"), mrkdwn("b")]),
        {"type": "context", "elements": [mrkdwn("policy: prod-deploys")]},
        {"type": "divider"},
        {
            "type": "actions",
            "block_id": "req_42",
            "elements": [
                button("approve", "Approve", value="req-42", style="primary"),
                button("reject", "Reject", value="req-42", style="danger"),
            ],
        },
    ]
    assert check_message_blocks(blocks) == []


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        ([section("x" * 3000)], []),
        ([section("x" * 3001)], [err("must be less than 3001 characters", "/blocks/0/text/text")]),
        (
            [{"type": "header", "text": plain("h" * 151)}],
            [err("must be less than 151 characters", "/blocks/0/text/text")],
        ),
        ([{"type": "header", "text": mrkdwn("h")}], [err("must be plain_text", "/blocks/0/text/type")]),
        ([section(fields=[mrkdwn("f")] * 11)], [err("no more than 10 items allowed", "/blocks/0/fields")]),
        (
            [section(fields=[mrkdwn("f"), mrkdwn("f" * 2001)])],
            [err("must be less than 2001 characters", "/blocks/0/fields/1/text")],
        ),
        (
            [{"type": "context", "elements": [mrkdwn("c")] * 11}],
            [err("no more than 10 items allowed", "/blocks/0/elements")],
        ),
        (
            [{"type": "actions", "elements": [button(f"b{i}") for i in range(26)]}],
            [err("no more than 25 items allowed", "/blocks/0/elements")],
        ),
        ([section() for _ in range(51)], [err("no more than 50 items allowed", "/blocks")]),
        ([{"type": "section"}], [err("must provide either text or fields", "/blocks/0")]),
        ([{"type": "carousel"}], [err("unsupported type: carousel", "/blocks/0/type")]),
        (
            [{"type": "image", "image_url": "https://x/" + "i" * 3000, "alt_text": "a"}],
            [err("must be less than 3001 characters", "/blocks/0/image_url")],
        ),
        (
            [{"type": "markdown", "text": "m" * 7000}, {"type": "markdown", "text": "m" * 5001}],
            [err("must be less than 12001 characters", "/blocks/1/text")],
        ),
    ],
)
def test_block_limits(blocks: list[dict[str, Any]], expected: list[str]) -> None:
    assert check_message_blocks(blocks) == expected


@pytest.mark.parametrize(
    ("element", "expected"),
    [
        (button(text="b" * 76), [err("must be less than 76 characters", "/blocks/0/elements/0/text/text")]),
        (button(value="v" * 2001), [err("must be less than 2001 characters", "/blocks/0/elements/0/value")]),
        (button(url="https://" + "u" * 3000), [err("must be less than 3001 characters", "/blocks/0/elements/0/url")]),
        (button(style="warning"), [err("must be one of: primary, danger", "/blocks/0/elements/0/style")]),
        (button(action_id="a" * 256), [err("must be less than 256 characters", "/blocks/0/elements/0/action_id")]),
        (
            {"type": "static_select", "action_id": "s", "placeholder": plain("p" * 151), "options": [opt("v")]},
            [err("must be less than 151 characters", "/blocks/0/elements/0/placeholder/text")],
        ),
        (
            {"type": "static_select", "action_id": "s", "options": [opt(str(i)) for i in range(101)]},
            [err("no more than 100 items allowed", "/blocks/0/elements/0/options")],
        ),
        (
            {"type": "static_select", "action_id": "s", "options": [opt("v", "t" * 76)]},
            [err("must be less than 76 characters", "/blocks/0/elements/0/options/0/text/text")],
        ),
        (
            {"type": "static_select", "action_id": "s", "options": [opt("v" * 151)]},
            [err("must be less than 151 characters", "/blocks/0/elements/0/options/0/value")],
        ),
        (
            {"type": "checkboxes", "action_id": "c", "options": [opt(str(i)) for i in range(11)]},
            [err("no more than 10 items allowed", "/blocks/0/elements/0/options")],
        ),
        (
            {"type": "radio_buttons", "action_id": "r", "options": [opt(str(i)) for i in range(11)]},
            [err("no more than 10 items allowed", "/blocks/0/elements/0/options")],
        ),
        (
            {"type": "overflow", "action_id": "o", "options": [opt("1")]},
            [err("must provide at least 2 items", "/blocks/0/elements/0/options")],
        ),
        (
            button(
                confirm={
                    "title": plain("t" * 101),
                    "text": mrkdwn("sure?"),
                    "confirm": plain("Yes"),
                    "deny": plain("No"),
                }
            ),
            [err("must be less than 101 characters", "/blocks/0/elements/0/confirm/title/text")],
        ),
        (
            {"type": "fancy_picker", "action_id": "f"},
            [err("unsupported type: fancy_picker", "/blocks/0/elements/0/type")],
        ),
    ],
)
def test_element_limits(element: dict[str, Any], expected: list[str]) -> None:
    assert check_message_blocks([{"type": "actions", "elements": [element]}]) == expected


def test_block_ids_are_unique_per_message_and_action_ids_per_block() -> None:
    same_block = [{"type": "actions", "block_id": "b", "elements": [button("x"), button("x")]}]
    assert check_message_blocks(same_block) == [
        err("action_id must be unique within the block", "/blocks/0/elements/1/action_id")
    ]
    # Slack allows one action_id in several blocks (e.g. an Approve button per listed request)
    per_request = [{"type": "actions", "block_id": f"req_{i}", "elements": [button("approve")]} for i in range(2)]
    assert check_message_blocks(per_request) == []
    twice = [section(block_id="b"), section(block_id="b")]
    assert check_message_blocks(twice) == [err("block_id must be unique within the payload", "/blocks/1/block_id")]
    assert check_message_blocks([section(block_id="b" * 256)]) == [
        err("must be less than 256 characters", "/blocks/0/block_id")
    ]


def test_input_block_limits() -> None:
    block = {
        "type": "input",
        "label": plain("l" * 2001),
        "hint": plain("h" * 2001),
        "element": {"type": "plain_text_input", "action_id": "t", "max_length": 3001},
    }
    assert check_message_blocks([block]) == [
        err("must be less than 2001 characters", "/blocks/0/label/text"),
        err("must be less than 2001 characters", "/blocks/0/hint/text"),
        err("must be less than or equal to 3000", "/blocks/0/element/max_length"),
    ]
    assert check_message_blocks([{"type": "input", "label": plain("l")}]) == [
        err("missing required field: element", "/blocks/0")
    ]


def modal(**extra: Any) -> dict[str, Any]:
    return {"type": "modal", "title": plain("Reject"), "submit": plain("Send"), "blocks": [section()], **extra}


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        (modal(), []),
        (modal(title=plain("t" * 25)), [err("must be less than 25 characters", "/view/title/text")]),
        (modal(submit=plain("s" * 25)), [err("must be less than 25 characters", "/view/submit/text")]),
        (modal(close=plain("c" * 25)), [err("must be less than 25 characters", "/view/close/text")]),
        (modal(private_metadata="m" * 3001), [err("must be less than 3001 characters", "/view/private_metadata")]),
        (modal(callback_id="c" * 256), [err("must be less than 256 characters", "/view/callback_id")]),
        (modal(blocks=[section() for _ in range(101)]), [err("no more than 100 items allowed", "/view/blocks")]),
        ({"type": "modal", "blocks": []}, [err("missing required field: title", "/view")]),
        (
            {
                "type": "modal",
                "title": plain("t"),
                "blocks": [
                    {"type": "input", "label": plain("l"), "element": {"type": "plain_text_input", "action_id": "a"}}
                ],
            },
            [err("submit is required when an input block is present", "/view/submit")],
        ),
        ({"type": "home", "blocks": [section() for _ in range(100)]}, []),
        ({"type": "dialog"}, [err("must be one of: modal, home", "/view/type")]),
    ],
)
def test_view_limits(view: dict[str, Any], expected: list[str]) -> None:
    assert check_view(view) == expected


def test_view_size_counts_utf8_bytes() -> None:
    assert view_size({"t": "é"}) == len('{"t":"é"}'.encode())
