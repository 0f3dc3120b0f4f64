"""chat.* and reactions.add through slack_sdk's real WebClient."""

from __future__ import annotations

import re

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.fakeslack import FakeSlack

SECTION = [{"type": "section", "block_id": "summary", "text": {"type": "mrkdwn", "text": "Deploy?"}}]


def api_error(call) -> dict:
    with pytest.raises(SlackApiError) as info:
        call()
    return info.value.response.data


def test_post_message_stores_and_returns_message(client: WebClient, slack: FakeSlack) -> None:
    resp = client.chat_postMessage(
        channel="C0SUPPORT",
        text="Deploy?",
        blocks=SECTION,
        metadata={"event_type": "proposal", "event_payload": {"id": "p1"}},
    )
    assert re.fullmatch(r"\d{10}\.\d{6}", resp["ts"])
    assert resp["channel"] == "C0SUPPORT"
    assert resp["message"]["bot_id"] == "BBOT"
    assert resp["message"]["user"] == "UBOT"
    stored = slack.message("C0SUPPORT", resp["ts"])
    assert stored.text == "Deploy?"
    assert stored.blocks == SECTION
    assert stored.metadata == {"event_type": "proposal", "event_payload": {"id": "p1"}}


def test_ts_unique_under_frozen_clock(client: WebClient) -> None:
    tss = [client.chat_postMessage(channel="C0SUPPORT", text=str(i))["ts"] for i in range(5)]
    assert len(set(tss)) == 5
    assert tss == sorted(tss)


def test_blocks_get_generated_block_ids(client: WebClient) -> None:
    resp = client.chat_postMessage(channel="C0SUPPORT", text="t", blocks=[{"type": "divider"}])
    assert resp["message"]["blocks"][0]["block_id"]


def test_threads_reply_to_reply_goes_under_parent(client: WebClient, slack: FakeSlack) -> None:
    parent = client.chat_postMessage(channel="C0SUPPORT", text="parent")["ts"]
    reply = client.chat_postMessage(channel="C0SUPPORT", text="r1", thread_ts=parent)["ts"]
    nested = client.chat_postMessage(channel="C0SUPPORT", text="r2", thread_ts=reply)
    assert nested["message"]["thread_ts"] == parent
    assert [m.text for m in slack.thread("C0SUPPORT", reply)] == ["parent", "r1", "r2"]
    assert [m.text for m in slack.messages("C0SUPPORT")] == ["parent"]
    assert slack.message("C0SUPPORT", parent).to_api()["reply_count"] == 2
    assert (
        api_error(lambda: client.chat_postMessage(channel="C0SUPPORT", text="x", thread_ts="1.000001"))["error"]
        == "thread_not_found"
    )


def test_reply_broadcast_shows_in_channel(client: WebClient, slack: FakeSlack) -> None:
    parent = client.chat_postMessage(channel="C0SUPPORT", text="parent")["ts"]
    client.chat_postMessage(channel="C0SUPPORT", text="also here", thread_ts=parent, reply_broadcast=True)
    assert [m.text for m in slack.messages("C0SUPPORT")] == ["parent", "also here"]


@pytest.mark.parametrize(
    ("channel", "error"),
    [("C0NOPE", "channel_not_found"), ("G0SECRET", "channel_not_found"), ("U9", "channel_not_found")],
)
def test_post_message_channel_errors(client: WebClient, channel: str, error: str) -> None:
    assert api_error(lambda: client.chat_postMessage(channel=channel, text="x"))["error"] == error


def test_public_channel_needs_membership_without_chat_write_public(clock) -> None:
    scopes = ["chat:write"]
    with FakeSlack("s", channels={"C1": {"name": "c", "members": []}}, scopes=scopes, clock=clock) as slack:
        client = WebClient(token="xoxb-fake", base_url=slack.api_url)
        assert api_error(lambda: client.chat_postMessage(channel="C1", text="x"))["error"] == "not_in_channel"


def test_chat_write_public_allows_public_channel_without_joining(client: WebClient, slack: FakeSlack) -> None:
    assert client.chat_postMessage(channel="C0PUBLIC", text="hello")["ok"]
    assert "UBOT" not in slack.channel("C0PUBLIC").members


def test_archived_deleted_and_removed_channels(client: WebClient, slack: FakeSlack) -> None:
    slack.archive("C0SUPPORT")
    assert api_error(lambda: client.chat_postMessage(channel="C0SUPPORT", text="x"))["error"] == "is_archived"
    slack.remove_member("G0OPS", "UBOT")
    assert api_error(lambda: client.chat_postMessage(channel="G0OPS", text="x"))["error"] == "channel_not_found"
    slack.delete_channel("C0PUBLIC")
    assert api_error(lambda: client.chat_postMessage(channel="C0PUBLIC", text="x"))["error"] == "channel_not_found"


def test_user_id_posts_into_dm(client: WebClient, slack: FakeSlack) -> None:
    resp = client.chat_postMessage(channel="U1", text="your approvals")
    assert resp["channel"].startswith("D")
    assert [m.text for m in slack.messages("U1")] == ["your approvals"]


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")  # the sdk warns; Slack refuses
def test_no_text_and_invalid_blocks(client: WebClient) -> None:
    assert api_error(lambda: client.chat_postMessage(channel="C0SUPPORT", text=""))["error"] == "no_text"
    long_section = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
    data = api_error(lambda: client.chat_postMessage(channel="C0SUPPORT", text="t", blocks=long_section))
    assert data == {
        "ok": False,
        "error": "invalid_blocks",
        "response_metadata": {
            "messages": ["[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]"]
        },
    }
    assert (
        api_error(lambda: client.chat_postMessage(channel="C0SUPPORT", text="t", blocks="{not json"))["error"]
        == "invalid_blocks_format"
    )


def test_long_text_is_truncated_and_recorded(client: WebClient, slack: FakeSlack) -> None:
    resp = client.chat_postMessage(channel="C0SUPPORT", text="x" * 40_010)
    assert len(slack.message("C0SUPPORT", resp["ts"]).text) == 40_000
    assert [m.truncated_from for m in slack.truncations()] == [40_010]
    assert (
        api_error(lambda: client.chat_update(channel="C0SUPPORT", ts=resp["ts"], text="y" * 40_001))["error"]
        == "msg_too_long"
    )


def test_update_own_message_keeps_history(client: WebClient, slack: FakeSlack) -> None:
    ts = client.chat_postMessage(channel="C0SUPPORT", text="pending", blocks=SECTION)["ts"]
    resp = client.chat_update(channel="C0SUPPORT", ts=ts, text="approved by <@U1>")
    assert resp["text"] == "approved by <@U1>"
    assert "edited" in resp["message"]
    msg = slack.message("C0SUPPORT", ts)
    assert msg.blocks == SECTION  # omitted blocks are kept
    client.chat_update(channel="C0SUPPORT", ts=ts, text="done", blocks=[])
    assert msg.blocks == []
    assert [e["text"] for e in msg.edits] == ["pending", "approved by <@U1>"]


def test_update_errors(client: WebClient, slack: FakeSlack) -> None:
    human = slack.post_as_user("C0SUPPORT", "U1", "I wrote this")
    assert (
        api_error(lambda: client.chat_update(channel="C0SUPPORT", ts=human.ts, text="x"))["error"]
        == "cant_update_message"
    )
    assert (
        api_error(lambda: client.chat_update(channel="C0SUPPORT", ts="1.000002", text="x"))["error"]
        == "message_not_found"
    )


def test_post_ephemeral(client: WebClient, slack: FakeSlack) -> None:
    resp = client.chat_postEphemeral(channel="C0SUPPORT", user="U1", text="only @leads may approve")
    assert re.fullmatch(r"\d+\.\d{6}", resp["message_ts"])
    assert [e.text for e in slack.ephemerals(user="U1")] == ["only @leads may approve"]
    assert slack.messages("C0SUPPORT") == []
    assert (
        api_error(lambda: client.chat_postEphemeral(channel="C0SUPPORT", user="U3", text="x"))["error"]
        == "user_not_in_channel"
    )


def test_permalink(client: WebClient, slack: FakeSlack) -> None:
    parent = client.chat_postMessage(channel="C0SUPPORT", text="p")["ts"]
    reply = client.chat_postMessage(channel="C0SUPPORT", text="r", thread_ts=parent)["ts"]
    top = client.chat_getPermalink(channel="C0SUPPORT", message_ts=parent)["permalink"]
    assert top == f"{slack.base_url}/archives/C0SUPPORT/p{parent.replace('.', '')}"
    threaded = client.chat_getPermalink(channel="C0SUPPORT", message_ts=reply)["permalink"]
    assert f"?thread_ts={parent}" in threaded
    assert (
        api_error(lambda: client.chat_getPermalink(channel="C0SUPPORT", message_ts="1.000003"))["error"]
        == "message_not_found"
    )


def test_reactions_add_needs_scope_and_validates(clock) -> None:
    channels = {"C1": {"name": "c", "members": ["UBOT"]}}
    with FakeSlack("s", channels=channels, scopes=["chat:write", "reactions:write"], clock=clock) as slack:
        client = WebClient(token="xoxb-fake", base_url=slack.api_url)
        ts = client.chat_postMessage(channel="C1", text="x")["ts"]
        client.reactions_add(channel="C1", name="white_check_mark", timestamp=ts)
        assert slack.message("C1", ts).reactions == {"white_check_mark": ["UBOT"]}
        assert (
            api_error(lambda: client.reactions_add(channel="C1", name="white_check_mark", timestamp=ts))["error"]
            == "already_reacted"
        )
        assert (
            api_error(lambda: client.reactions_add(channel="C1", name=":x:", timestamp=ts))["error"] == "invalid_name"
        )


def test_mentions_and_links_are_recorded(client: WebClient, slack: FakeSlack) -> None:
    client.chat_postMessage(channel="C0SUPPORT", text="plain &lt;!channel&gt; is escaped")
    client.chat_postMessage(
        channel="C0SUPPORT",
        text="fallback",
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "hi <!here> see <https://evil|docs>"}}],
    )
    hits = slack.mentions_in("C0SUPPORT")
    assert [(h.pointer, h.matches) for h in hits] == [("/blocks/0/text/text", ["<!here>", "<https://evil|docs>"])]
    assert slack.mentions_in("C0PUBLIC") == []
    assert [m.text for m in slack.find_messages(text_contains="evil")] == ["fallback"]
