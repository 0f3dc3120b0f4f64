"""files_upload_v2 end to end, and response_url handling through slack_sdk's WebhookClient (what respond() uses)."""

from __future__ import annotations

from urllib.error import HTTPError

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.fakeslack import FakeSlack


def test_files_upload_v2_end_to_end(client: WebClient, slack: FakeSlack) -> None:
    parent = client.chat_postMessage(channel="C0SUPPORT", text="digest thread")["ts"]
    resp = client.files_upload_v2(
        channel="C0SUPPORT",
        content=b"month,approved\n2026-10,42\n",
        filename="digest.csv",
        title="October digest",
        initial_comment="Monthly digest",
        thread_ts=parent,
    )
    assert resp["file"]["title"] == "October digest"
    [stored] = slack.files("C0SUPPORT")
    assert (stored.content, stored.filename, stored.thread_ts, stored.initial_comment) == (
        b"month,approved\n2026-10,42\n",
        "digest.csv",
        parent,
        "Monthly digest",
    )
    reply = slack.thread("C0SUPPORT", parent)[-1]
    assert reply.text == "Monthly digest"
    assert reply.files[0]["id"] == stored.id
    assert [c.method for c in slack.calls()][-3:] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]


def test_upload_errors(client: WebClient, slack: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as info:
        client.files_upload_v2(channel="C0PUBLIC", content=b"x", filename="a.txt")  # not a member
    assert info.value.response["error"] == "not_in_channel"
    slack.fail_next("upload", status=500)
    with pytest.raises(HTTPError) as failed:  # the sdk's upload step uses urlopen, which raises on non-2xx
        client.files_upload_v2(channel="C0SUPPORT", content=b"x", filename="a.txt")
    assert failed.value.code == 500
    with pytest.raises(SlackApiError) as info:
        client.files_completeUploadExternal(files=[{"id": "F404", "title": "t"}], channel_id="C0SUPPORT")
    assert info.value.response["error"] == "file_not_found"


def post_approval(client: WebClient) -> str:
    return client.chat_postMessage(
        channel="C0SUPPORT",
        text="Approve?",
        blocks=[
            {
                "type": "actions",
                "block_id": "req_1",
                "elements": [
                    {"type": "button", "action_id": "approve", "text": {"type": "plain_text", "text": "Approve"}}
                ],
            }
        ],
    )["ts"]


def test_response_url_replace_original(client: WebClient, slack: FakeSlack) -> None:
    ts = post_approval(client)
    hook = WebhookClient(slack.response_url("U1", "C0SUPPORT", ts))
    resp = hook.send(text="Approved by <@U1>", replace_original=True)
    assert (resp.status_code, resp.body) == (200, "ok")
    msg = slack.message("C0SUPPORT", ts)
    assert msg.text == "Approved by <@U1>"
    assert msg.blocks == []
    assert msg.edits[0]["text"] == "Approve?"


def test_response_url_ephemeral_in_channel_and_delete(client: WebClient, slack: FakeSlack) -> None:
    ts = post_approval(client)
    hook = WebhookClient(slack.response_url("U2", "C0SUPPORT", ts))
    assert hook.send(text="only leads may approve").status_code == 200
    assert [e.text for e in slack.ephemerals(user="U2")] == ["only leads may approve"]
    assert hook.send_dict({"text": "shared result", "response_type": "in_channel", "thread_ts": ts}).status_code == 200
    assert [m.text for m in slack.thread("C0SUPPORT", ts)] == ["Approve?", "shared result"]
    assert hook.send_dict({"delete_original": True}).status_code == 200
    assert [m.text for m in slack.messages("C0SUPPORT")] == []


def test_response_url_five_uses_and_thirty_minutes(client: WebClient, slack: FakeSlack, clock) -> None:
    hook = WebhookClient(slack.response_url("U1", "C0SUPPORT"))
    for i in range(5):
        assert hook.send(text=f"update {i}").status_code == 200
    assert (hook.send(text="sixth").status_code, hook.send(text="sixth").body) == (404, "used_url")
    late = WebhookClient(slack.response_url("U1", "C0SUPPORT"))
    clock.advance(seconds=30 * 60 + 1)
    assert (late.send(text="too late").status_code, late.send(text="too late").body) == (404, "expired_url")
    assert WebhookClient(f"{slack.base_url}/response/nope").send(text="x").status_code == 404


def test_response_url_validates_payload(slack: FakeSlack) -> None:
    hook = WebhookClient(slack.response_url("U1", "C0SUPPORT"))
    assert (hook.send(text="").status_code, hook.send(text="").body) == (400, "no_text")
    long = [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]
    assert hook.send(text="t", blocks=long).body == "invalid_blocks"
    assert hook.send(text="mentions <!channel>").status_code == 200
    assert [h.surface for h in slack.mentions_in("C0SUPPORT")] == ["response_url"]
