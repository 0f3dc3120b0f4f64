"""views.* through WebClient: trigger rules on the injected clock, stacks, hashes, Home tabs, limits."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.fakeslack import FakeSlack


def modal(title: str = "Reject", **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "reject",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Send"},
        "private_metadata": "req-42",
        "blocks": [
            {
                "type": "input",
                "block_id": "reason",
                "label": {"type": "plain_text", "text": "Why?"},
                "element": {"type": "plain_text_input", "action_id": "reason_input"},
            }
        ],
        **extra,
    }


def error_of(call) -> str:
    with pytest.raises(SlackApiError) as info:
        call()
    return info.value.response["error"]


def test_open_returns_view_and_stacks_it(client: WebClient, slack: FakeSlack) -> None:
    view = client.views_open(trigger_id=slack.issue_trigger("U1"), view=modal())["view"]
    assert view["id"].startswith("V")
    assert view["callback_id"] == "reject"
    assert view["root_view_id"] == view["id"]
    assert view["private_metadata"] == "req-42"
    assert view["hash"]
    assert [v.id for v in slack.views("U1")] == [view["id"]]


def test_trigger_rules(client: WebClient, slack: FakeSlack, clock) -> None:
    trigger = slack.issue_trigger("U1")
    client.views_open(trigger_id=trigger, view=modal())
    assert error_of(lambda: client.views_open(trigger_id=trigger, view=modal())) == "exchanged_trigger_id"
    late = slack.issue_trigger("U1")
    clock.advance(seconds=3.5)
    assert error_of(lambda: client.views_open(trigger_id=late, view=modal())) == "expired_trigger_id"
    assert error_of(lambda: client.views_open(trigger_id="not-a-trigger", view=modal())) == "invalid_trigger_id"
    assert error_of(lambda: client.views_open(trigger_id="1.2.abcdef", view=modal())) == "invalid_trigger_id"


def test_trigger_just_inside_three_seconds_works(client: WebClient, slack: FakeSlack, clock) -> None:
    trigger = slack.issue_trigger("U1")
    clock.advance(seconds=2.9)
    assert client.views_open(trigger_id=trigger, view=modal())["ok"]


def test_invalid_view_is_invalid_arguments(client: WebClient, slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as info:
        client.views_open(trigger_id=slack.issue_trigger("U1"), view=modal(title="A title that is too long!"))
    assert info.value.response.data == {
        "ok": False,
        "error": "invalid_arguments",
        "response_metadata": {"messages": ["[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"]},
    }


def test_view_too_large(client: WebClient, slack: FakeSlack) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 2900}} for _ in range(90)]
    big = {"type": "modal", "title": {"type": "plain_text", "text": "Big"}, "blocks": blocks}
    assert error_of(lambda: client.views_open(trigger_id=slack.issue_trigger("U1"), view=big)) == "view_too_large"


def test_push_limit(client: WebClient, slack: FakeSlack) -> None:
    root = client.views_open(trigger_id=slack.issue_trigger("U1"), view=modal())["view"]
    second = client.views_push(trigger_id=slack.issue_trigger("U1"), view=modal("Second"))["view"]
    assert second["root_view_id"] == root["id"]
    assert second["previous_view_id"] == root["id"]
    client.views_push(trigger_id=slack.issue_trigger("U1"), view=modal("Third"))
    assert error_of(lambda: client.views_push(trigger_id=slack.issue_trigger("U1"), view=modal("Fourth"))) == (
        "push_limit_reached"
    )
    assert len(slack.views("U1")) == 3


def test_update_by_id_and_external_id_with_hash_lock(client: WebClient, slack: FakeSlack) -> None:
    opened = client.views_open(trigger_id=slack.issue_trigger("U1"), view=modal(external_id="req-42"))["view"]
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal("Working…"))["view"]
    assert updated["id"] == opened["id"]
    assert updated["hash"] != opened["hash"]
    assert error_of(lambda: client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal())) == (
        "hash_conflict"
    )
    by_external = client.views_update(external_id="req-42", view=modal("Done", external_id="req-42"))["view"]
    assert by_external["title"]["text"] == "Done"
    assert error_of(lambda: client.views_update(view_id="V404", view=modal())) == "not_found"


def test_duplicate_external_id(client: WebClient, slack: FakeSlack) -> None:
    client.views_open(trigger_id=slack.issue_trigger("U1"), view=modal(external_id="x"))
    assert error_of(lambda: client.views_open(trigger_id=slack.issue_trigger("U2"), view=modal(external_id="x"))) == (
        "duplicate_external_id"
    )


def test_publish_home(client: WebClient, slack: FakeSlack) -> None:
    home = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "3 pending"}}]}
    first = client.views_publish(user_id="U1", view=home)["view"]
    again = client.views_publish(user_id="U1", view=home, hash=first["hash"])["view"]
    assert again["id"] == first["id"]
    assert slack.home("U1").hash == again["hash"]
    assert error_of(lambda: client.views_publish(user_id="U1", view=home, hash=first["hash"])) == "hash_conflict"
    assert error_of(lambda: client.views_publish(user_id="U404", view=home)) == "user_not_found"
    assert error_of(lambda: client.views_publish(user_id="U1", view=modal())) == "invalid_arguments"
