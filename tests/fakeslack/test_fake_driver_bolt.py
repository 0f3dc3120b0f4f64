"""SlackDriver against a tiny real Bolt app served by uvicorn: signatures, clicks, modals, commands, events."""

from __future__ import annotations

import time
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from bot.fakeslack import DriverError, FakeSlack
from tests.fakeslack.conftest import SECRET, BoltRig

APPROVAL = [
    {"type": "section", "block_id": "summary", "text": {"type": "mrkdwn", "text": "Deploy api?"}},
    {
        "type": "actions",
        "block_id": "req_42",
        "elements": [
            {
                "type": "button",
                "action_id": "approve",
                "value": "req-42",
                "style": "primary",
                "text": {"type": "plain_text", "text": "Approve"},
            },
            {
                "type": "button",
                "action_id": "reject",
                "value": "req-42",
                "text": {"type": "plain_text", "text": "Reject"},
            },
        ],
    },
]
REJECT_MODAL = {
    "type": "modal",
    "callback_id": "reject_reason",
    "private_metadata": "req-42",
    "notify_on_close": True,
    "title": {"type": "plain_text", "text": "Reject"},
    "submit": {"type": "plain_text", "text": "Reject"},
    "blocks": [
        {
            "type": "input",
            "block_id": "reason",
            "label": {"type": "plain_text", "text": "Why?"},
            "element": {"type": "plain_text_input", "action_id": "reason_input", "max_length": 200},
        },
        {
            "type": "input",
            "block_id": "severity",
            "optional": True,
            "label": {"type": "plain_text", "text": "Sev"},
            "element": {
                "type": "static_select",
                "action_id": "sev",
                "options": [
                    {"text": {"type": "plain_text", "text": "Low"}, "value": "low"},
                    {"text": {"type": "plain_text", "text": "High"}, "value": "high"},
                ],
            },
        },
        {
            "type": "actions",
            "elements": [{"type": "button", "action_id": "more", "text": {"type": "plain_text", "text": "More"}}],
        },
    ],
}


def post_approval(rig: BoltRig, **kwargs: Any) -> str:
    return rig.app.client.chat_postMessage(channel="C0SUPPORT", text="Deploy api?", blocks=APPROVAL, **kwargs)["ts"]


def test_signed_click_reaches_listener(bolt: BoltRig, slack: FakeSlack) -> None:
    seen: list[dict[str, Any]] = []

    @bolt.app.action("approve")
    def approve(ack, body, client, respond) -> None:
        ack()
        seen.append(body)
        client.chat_update(channel=body["channel"]["id"], ts=body["message"]["ts"], text="Approved", blocks=[])
        respond(text="Thanks, recorded")

    ts = post_approval(bolt)
    resp = bolt.driver.click("C0SUPPORT", ts, "approve", "U1")
    assert resp.status == 200
    [body] = seen
    assert body["user"] == {"id": "U1", "username": "alice", "name": "alice", "team_id": "T0FAKE"}
    assert body["actions"][0] | {"action_ts": "-"} == {
        "type": "button",
        "action_id": "approve",
        "block_id": "req_42",
        "value": "req-42",
        "style": "primary",
        "text": {"type": "plain_text", "text": "Approve"},
        "action_ts": "-",
    }
    assert body["container"] == {"type": "message", "message_ts": ts, "channel_id": "C0SUPPORT", "is_ephemeral": False}
    assert slack.message("C0SUPPORT", ts).text == "Approved"
    assert [e.text for e in slack.ephemerals(user="U1")] == ["Thanks, recorded"]


def test_click_in_thread_carries_thread_ts(bolt: BoltRig, slack: FakeSlack) -> None:
    seen: list[dict[str, Any]] = []
    bolt.app.action("approve")(lambda ack, body: (ack(), seen.append(body)))
    parent = bolt.app.client.chat_postMessage(channel="C0SUPPORT", text="discussion")["ts"]
    ts = post_approval(bolt, thread_ts=parent)
    bolt.driver.click("C0SUPPORT", ts, "approve", "U2")
    assert seen[0]["message"]["thread_ts"] == parent
    assert seen[0]["container"]["thread_ts"] == parent


def test_cannot_click_what_user_cannot_see(bolt: BoltRig, slack: FakeSlack) -> None:
    ts = post_approval(bolt)
    with pytest.raises(DriverError, match="no element action_id='escalate'"):
        bolt.driver.click("C0SUPPORT", ts, "escalate", "U1")
    with pytest.raises(DriverError, match="no message"):
        bolt.driver.click("C0SUPPORT", "1.000001", "approve", "U1")
    secret_ts = bolt.app.client.chat_postMessage(channel="G0OPS", text="t", blocks=APPROVAL)["ts"]
    with pytest.raises(DriverError, match="cannot see"):
        bolt.driver.click("G0OPS", secret_ts, "approve", "U2")


def test_same_action_id_in_several_blocks(bolt: BoltRig, slack: FakeSlack) -> None:
    seen: list[str] = []
    bolt.app.action("approve")(lambda ack, action: (ack(), seen.append(action["block_id"])))
    listing = [
        {
            "type": "actions",
            "block_id": f"req_{i}",
            "elements": [
                {
                    "type": "button",
                    "action_id": "approve",
                    "value": f"req-{i}",
                    "text": {"type": "plain_text", "text": "Approve"},
                }
            ],
        }
        for i in (1, 2)
    ]
    ts = bolt.app.client.chat_postMessage(channel="C0SUPPORT", text="two pending", blocks=listing)["ts"]
    with pytest.raises(DriverError, match="2 elements match"):
        bolt.driver.click("C0SUPPORT", ts, "approve", "U1")
    bolt.driver.click("C0SUPPORT", ts, "approve", "U1", value="req-2")
    bolt.driver.click("C0SUPPORT", ts, "approve", "U1", block_id="req_1")
    assert seen == ["req_2", "req_1"]


def test_forged_and_stale_signatures_are_rejected(bolt: BoltRig, slack: FakeSlack) -> None:
    calls: list[str] = []
    bolt.app.action("approve")(lambda ack: (ack(), calls.append("ran")))
    genuine = bolt.driver.click("C0SUPPORT", post_approval(bolt), "approve", "U1")
    body, form = genuine.request_body, "application/x-www-form-urlencoded"
    forged = bolt.driver.send_raw(body, form, signature="v0=" + "0" * 64)
    assert (forged.status, forged.json) == (401, {"error": "invalid request"})
    stale_ts = str(int(time.time()) - 600)  # correctly signed, but outside Bolt's 5-minute window
    assert bolt.driver.send_raw(body, form, timestamp=stale_ts).status == 401
    now = str(int(time.time()))
    signed_original = SignatureVerifier(SECRET).generate_signature(timestamp=now, body=body)
    assert bolt.driver.send_raw(body + "&x=1", form, timestamp=now, signature=signed_original).status == 401
    assert calls == ["ran"]  # only the genuine click ran the listener


def test_modal_flow_errors_then_close(bolt: BoltRig, slack: FakeSlack) -> None:
    submissions: list[dict[str, Any]] = []

    @bolt.app.action("reject")
    def reject(ack, body, client) -> None:
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=REJECT_MODAL)

    @bolt.app.view("reject_reason")
    def reason(ack, view) -> None:
        submissions.append(view)
        text = view["state"]["values"]["reason"]["reason_input"]["value"]
        if not text or len(text) < 5:
            ack(response_action="errors", errors={"reason": "Please say why"})
        else:
            ack()

    ts = post_approval(bolt)
    bolt.driver.click("C0SUPPORT", ts, "reject", "U1")
    [modal] = slack.views("U1")
    assert modal.callback_id == "reject_reason"
    resp = bolt.driver.submit_view("U1", values={"reason_input": "meh", "severity": "high"})
    assert resp.ack == {"response_action": "errors", "errors": {"reason": "Please say why"}}
    assert slack.views("U1")[0].errors == {"reason": "Please say why"}
    first = submissions[0]
    assert first["private_metadata"] == "req-42"
    assert first["hash"] == modal.hash
    assert first["state"]["values"]["severity"]["sev"]["selected_option"]["value"] == "high"
    bolt.driver.submit_view("U1", values={"reason_input": "too risky today"})
    assert slack.views("U1") == []
    assert slack.problems == []
    assert submissions[1]["state"]["values"]["severity"]["sev"] == {"type": "static_select", "selected_option": None}


def test_submit_respects_slack_client_rules(bolt: BoltRig, slack: FakeSlack) -> None:
    bolt.app.client.views_open(trigger_id=slack.issue_trigger("U1"), view=REJECT_MODAL)
    with pytest.raises(DriverError, match="required"):
        bolt.driver.submit_view("U1", values={})
    with pytest.raises(DriverError, match="max_length"):
        bolt.driver.submit_view("U1", values={"reason": "x" * 201})
    with pytest.raises(DriverError, match="no option"):
        bolt.driver.submit_view("U1", values={"reason": "ok", "sev": "critical"})
    with pytest.raises(DriverError, match="no input"):
        bolt.driver.submit_view("U1", values={"reason": "ok", "typo": 1})


@pytest.mark.parametrize("action", ["update", "push", "clear"])
def test_view_response_actions_applied(bolt: BoltRig, slack: FakeSlack, action: str) -> None:
    nxt = {**REJECT_MODAL, "callback_id": "next", "title": {"type": "plain_text", "text": "Next"}}
    kwargs = {} if action == "clear" else {"view": nxt}
    bolt.app.view("reject_reason")(lambda ack: ack(response_action=action, **kwargs))
    bolt.app.client.views_open(trigger_id=slack.issue_trigger("U1"), view=REJECT_MODAL)
    bolt.driver.submit_view("U1", values={"reason": "because"})
    stack = [v.callback_id for v in slack.views("U1")]
    assert stack == {"update": ["next"], "push": ["reject_reason", "next"], "clear": []}[action]


def test_bad_ack_is_a_problem(bolt: BoltRig, slack: FakeSlack) -> None:
    bolt.app.view("reject_reason")(lambda ack: ack(response_action="errors", errors={"nope": "x"}))
    bolt.app.client.views_open(trigger_id=slack.issue_trigger("U1"), view=REJECT_MODAL)
    bolt.driver.submit_view("U1", values={"reason": "because"})
    assert "errors name no input block" in slack.problems[0]


def test_click_in_view_and_close_notifies(bolt: BoltRig, slack: FakeSlack) -> None:
    seen: list[dict[str, Any]] = []
    bolt.app.action("more")(lambda ack, body: (ack(), seen.append(body)))
    bolt.app.view_closed("reject_reason")(lambda ack, body: (ack(), seen.append(body)))
    view_id = bolt.app.client.views_open(trigger_id=slack.issue_trigger("U1"), view=REJECT_MODAL)["view"]["id"]
    bolt.driver.click_in_view(view_id, "more", "U1", values={"reason": "draft"})
    assert seen[0]["container"] == {"type": "view", "view_id": view_id}
    assert "response_url" not in seen[0]
    assert seen[0]["view"]["state"]["values"]["reason"]["reason_input"]["value"] == "draft"
    bolt.driver.close_view("U1")
    assert seen[1]["type"] == "view_closed"
    assert seen[1]["is_cleared"] is False
    assert slack.views("U1") == []


def test_slash_command_ack_shown_and_modal_opened(bolt: BoltRig, slack: FakeSlack) -> None:
    @bolt.app.command("/approvals")
    def approvals(ack, command, client) -> None:
        ack(f"You have 0 pending, {command['user_name']}")
        client.views_open(trigger_id=command["trigger_id"], view=REJECT_MODAL)

    resp = bolt.driver.command("/approvals", "U1", "C0SUPPORT")
    assert resp.status == 200
    assert resp.payload["channel_name"] == "support"
    assert [e.text for e in slack.ephemerals(user="U1")] == ["You have 0 pending, alice"]
    assert len(slack.views("U1")) == 1


def test_app_mention_and_self_mentions_ignored(bolt: BoltRig, slack: FakeSlack) -> None:
    heard: list[dict[str, Any]] = []

    @bolt.app.event("app_mention")
    def mention(event, say) -> None:
        heard.append(event)
        say(text="on it", thread_ts=event.get("thread_ts") or event["ts"])

    parent = bolt.app.client.chat_postMessage(channel="C0SUPPORT", text="proposal")["ts"]
    assert bolt.driver.mention("C0SUPPORT", "U1", "approve looks fine", thread_ts=parent).status == 200
    assert heard[0]["text"] == "<@UBOT> approve looks fine"
    assert heard[0]["thread_ts"] == parent
    assert [m.text for m in slack.thread("C0SUPPORT", parent)] == ["proposal", "<@UBOT> approve looks fine", "on it"]
    bolt.driver.mention("C0SUPPORT", "UBOT", "talking to myself")
    assert len(heard) == 1


def test_retry_redelivers_same_event_id(bolt: BoltRig, slack: FakeSlack) -> None:
    seen: list[tuple[str, Any]] = []

    @bolt.app.event("app_mention")
    def mention(body, request) -> None:
        seen.append((body["event_id"], request.headers.get("x-slack-retry-num")))

    first = bolt.driver.mention("C0SUPPORT", "U1", "hi")
    bolt.driver.retry(first, num=1, reason="http_timeout")
    assert seen[0][0] == seen[1][0]
    assert [s[1] for s in seen] == [None, ["1"]]


def test_url_verification_and_home(bolt: BoltRig, slack: FakeSlack) -> None:
    assert bolt.driver.url_verification("3eZbrw1a").json == {"challenge": "3eZbrw1a"}
    clicks: list[str] = []

    @bolt.app.event("app_home_opened")
    def home(event, client) -> None:
        client.views_publish(
            user_id=event["user"],
            view={
                "type": "home",
                "blocks": [
                    {
                        "type": "actions",
                        "elements": [
                            {
                                "type": "button",
                                "action_id": "refresh",
                                "text": {"type": "plain_text", "text": "Refresh"},
                            }
                        ],
                    }
                ],
            },
        )

    bolt.app.action("refresh")(lambda ack, body: (ack(), clicks.append(body["view"]["type"])))
    bolt.driver.home_opened("U2")
    bolt.driver.click_home("U2", "refresh")
    assert clicks == ["home"]


def test_ephemeral_button_and_lazy_listener(bolt: BoltRig, slack: FakeSlack, client: WebClient) -> None:
    def slow_part(body, respond) -> None:
        respond(delete_original=True)

    bolt.app.action("approve")(ack=lambda ack: ack(), lazy=[slow_part])
    ts = client.chat_postEphemeral(channel="C0SUPPORT", user="U1", text="confirm?", blocks=APPROVAL)["message_ts"]
    assert bolt.driver.click("C0SUPPORT", ts, "approve", "U1").status == 200
    slack.wait_for("response_url", 1)
    assert slack.ephemerals(user="U1") == []
