"""Attacks through the Slack endpoint: forged, stale and replayed requests, clicks by people without rights,
self-approval. Each is refused or has no effect, and every refused decision attempt is in the audit log."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest

from tests.slack.rig import Rig, audit_events

FORM = "application/x-www-form-urlencoded"


def _refusals(rig: Rig, pid: str) -> list[tuple[str, str | None]]:
    return [(actor, reason) for action, actor, reason in audit_events(rig.svc, pid) if action == "refused"]


def _approve_body(rig: Rig, pid: str, user: str = "U0ALICE") -> str:
    """The body of a genuine Approve click (as Slack would send it), built by the driver but not sent."""
    p = rig.get(pid)
    captured: list[dict] = []
    rig.driver._interactive = captured.append  # type: ignore[method-assign]  # build only; sent by the test
    try:
        rig.driver.click(p["slack"]["channel"], p["slack"]["ts"], "cs_approve", user)
    finally:
        del rig.driver._interactive
    return urlencode({"payload": json.dumps(captured[0])})


@pytest.mark.parametrize("forgery", ["zeroes", "other-secret", "no-prefix", "empty", "body-changed"])
def test_forged_signatures_are_refused_before_any_listener_runs(rig: Rig, forgery: str) -> None:
    p = rig.propose()
    body = _approve_body(rig, p["id"])
    ts = str(int(time.time()))
    from slack_sdk.signature import SignatureVerifier

    signature = {
        "zeroes": "v0=" + "0" * 64,
        "other-secret": SignatureVerifier("not-the-secret").generate_signature(timestamp=ts, body=body),
        "no-prefix": SignatureVerifier("slack-signing-secret").generate_signature(timestamp=ts, body=body)[3:],
        "empty": "",
        "body-changed": SignatureVerifier("slack-signing-secret").generate_signature(timestamp=ts, body=body + "x"),
    }[forgery]
    resp = rig.driver.send_raw(body, FORM, timestamp=ts, signature=signature)
    rig.settle()
    assert resp.status == 401
    assert rig.get(p["id"])["status"] == "pending"
    assert [a for a, _, _ in audit_events(rig.svc, p["id"])] == ["intake"]
    assert rig.slack.calls("response_url") == []  # no listener ran, nobody was answered


@pytest.mark.parametrize("skew", [-301, -600, -86_400, 301, 3_600])
def test_timestamps_outside_five_minutes_are_refused_even_when_correctly_signed(rig: Rig, skew: int) -> None:
    p = rig.propose()
    body = _approve_body(rig, p["id"])
    resp = rig.driver.send_raw(body, FORM, timestamp=str(int(time.time()) + skew))  # signed with that timestamp
    rig.settle()
    assert resp.status == 401
    assert rig.get(p["id"])["status"] == "pending"


def test_timestamp_inside_the_window_is_accepted(rig: Rig) -> None:
    p = rig.propose()
    body = _approve_body(rig, p["id"])
    resp = rig.driver.send_raw(body, FORM, timestamp=str(int(time.time()) - 240))
    rig.settle()
    assert resp.status == 200
    assert rig.get(p["id"])["status"] == "approved"


def test_a_replayed_click_does_not_decide_twice(rig: Rig) -> None:
    """The same signed body re-sent within the window (a captured request): at most one decision."""
    p = rig.propose(payload={"to": "x@example.com", "amount": 5000})  # needs two distinct approvers
    body = _approve_body(rig, p["id"], "U0ALICE")
    first = rig.driver.send_raw(body, FORM)
    rig.settle()
    replays = [rig.driver.send_raw(body, FORM) for _ in range(5)]
    rig.settle()
    assert first.status == 200
    assert {r.status for r in replays} == {200}
    after = rig.get(p["id"])
    assert after["status"] == "pending"
    assert [a["user"] for a in after["approvals"]] == ["U0ALICE"]
    assert [a for a, who, _ in audit_events(rig.svc, p["id"]) if who == "U0ALICE"] == ["approval"]
    assert set(rig.ephemeral_texts("U0ALICE")[1:]) == {"✅ You have already approved this version."}


def test_a_replayed_reject_submission_does_not_decide_twice(rig: Rig) -> None:
    p = rig.propose()
    rig.click(p["id"], "cs_reject", "U0ALICE")
    sub = rig.driver.submit_view("U0ALICE", values={"cs_reason_input": "wrong account"})
    rig.settle()
    replay = rig.driver.send_raw(sub.request_body, FORM)
    rig.settle()
    assert replay.status == 200
    decisions = [a for a, _, _ in audit_events(rig.svc, p["id"]) if a == "decision"]
    assert decisions == ["decision"]
    assert rig.get(p["id"])["decision_reason"] == "wrong account"


def test_event_redeliveries_and_replays_do_not_decide_twice(rig: Rig) -> None:
    p = rig.propose(payload={"to": "x@example.com", "amount": 5000})
    first = rig.driver.mention("C0PAYOUTS", "U0ALICE", "<@UBOT> approve", thread_ts=p["slack"]["ts"])
    rig.settle()
    retried = [rig.driver.retry(first, num=n, reason="http_timeout") for n in (1, 2, 3)]
    replayed = rig.driver.send_raw(first.request_body, "application/json")  # same event_id, no retry header
    rig.settle()
    assert {r.status for r in [first, *retried, replayed]} == {200}
    after = rig.get(p["id"])
    assert after["status"] == "pending"
    assert [a["user"] for a in after["approvals"]] == ["U0ALICE"]
    assert [a for a, who, _ in audit_events(rig.svc, p["id"]) if who == "U0ALICE"] == ["approval"]


@pytest.mark.parametrize("button", ["cs_approve", "cs_reject", "cs_edit"])
def test_clicks_from_people_without_rights_are_refused_and_audited(rig: Rig, button: str) -> None:
    p = rig.propose()
    rig.click(p["id"], button, "U0MALLORY")
    assert rig.get(p["id"])["status"] == "pending"
    assert rig.slack.views("U0MALLORY") == []
    [text] = rig.ephemeral_texts("U0MALLORY")
    assert text.startswith(f"You are not allowed to {button.removeprefix('cs_')} this proposal.")
    verb = button.removeprefix("cs_")
    assert _refusals(rig, p["id"]) == [("U0MALLORY", f"you are not allowed to {verb} this proposal")]


def test_escalation_by_someone_without_rights_is_refused_and_audited(rig: Rig) -> None:
    p = rig.propose()
    rig.click(p["id"], "cs_escalate", "U0MALLORY")
    rig.driver.mention("C0PAYOUTS", "U0MALLORY", "<@UBOT> escalate to <@U0MALLORY>", thread_ts=p["slack"]["ts"])
    rig.settle()
    assert rig.get(p["id"])["escalation_level"] == 0
    assert rig.thread_texts(p["id"]) == ["<@UBOT> escalate to <@U0MALLORY>"]
    assert (
        rig.ephemeral_texts("U0MALLORY")
        == ["Only the deciders of this proposal or the workflow owner may escalate it."] * 2
    )
    reason = "only the deciders of this proposal or the workflow owner may escalate it"
    assert _refusals(rig, p["id"]) == [("U0MALLORY", reason), ("U0MALLORY", reason)]


@pytest.mark.parametrize("button", ["cs_retry", "cs_mark_done", "cs_give_up"])
def test_handling_a_failed_execution_without_rights_is_refused_and_audited(rig: Rig, button: str) -> None:
    rig.receiver.script(422)
    p = rig.propose()
    rig.click(p["id"], "cs_approve", "U0ALICE")
    rig.click(p["id"], button, "U0MALLORY")
    after = rig.get(p["id"])
    assert after["execution"]["status"] == "failed"
    assert "given up" not in (after["execution"]["error"] or "")
    reason = "only the workflow owner or the deciders of this proposal may handle its failed execution"
    assert _refusals(rig, p["id"]) == [("U0MALLORY", reason)]


def test_self_approval_is_refused_and_audited(rig: Rig) -> None:
    p = rig.propose(requested_by="U0ALICE")
    rig.click(p["id"], "cs_approve", "U0ALICE")
    rig.driver.mention("C0PAYOUTS", "U0ALICE", "<@UBOT> approve", thread_ts=p["slack"]["ts"])
    rig.settle()
    assert rig.get(p["id"])["status"] == "pending"
    reason = "you requested this action, and this workflow does not allow self-approval"
    assert _refusals(rig, p["id"]) == [("U0ALICE", reason), ("U0ALICE", reason)]
    rig.click(p["id"], "cs_approve", "U0BOB")
    assert rig.get(p["id"])["status"] == "approved"


def test_a_click_naming_another_proposal_is_judged_on_that_proposal(rig: Rig) -> None:
    """A hand-crafted click (valid signature is Slack's; the button value is the attacker's) on a message of a
    workflow the clicker may decide, pointing at a proposal they may not: the rights of the named proposal count."""
    ops = rig.propose(workflow="ops", action="restart", payload={"service": "api"})
    mine = rig.propose()
    payload = {
        "type": "block_actions",
        "user": {"id": "U0ALICE", "username": "alice", "team_id": "T0FAKE"},
        "api_app_id": "A0FAKE",
        "token": "x",
        "team": {"id": "T0FAKE", "domain": "fake"},
        "container": {"type": "message", "message_ts": mine["slack"]["ts"], "channel_id": "C0PAYOUTS"},
        "channel": {"id": "C0PAYOUTS", "name": "payouts"},
        "trigger_id": rig.slack.issue_trigger("U0ALICE"),
        "response_url": rig.slack.response_url("U0ALICE", "C0PAYOUTS", mine["slack"]["ts"]),
        "actions": [
            {
                "type": "button",
                "action_id": "cs_approve",
                "block_id": "cs_actions",
                "value": f"{ops['id']}:1",
                "action_ts": "1.2",
            }
        ],
    }
    resp = rig.driver.send_raw(urlencode({"payload": json.dumps(payload)}), FORM)
    rig.settle()
    assert resp.status == 200
    assert rig.get(ops["id"])["status"] == "pending"
    assert _refusals(rig, ops["id"]) == [("U0ALICE", "you are not allowed to approve this proposal")]
    assert rig.get(mine["id"])["status"] == "pending"


def test_a_click_on_an_outdated_message_is_refused_and_audited(rig: Rig) -> None:
    p = rig.propose()
    old = rig.message(p["id"])
    rig.click(p["id"], "cs_edit", "U0BOB")
    rig.driver.submit_view("U0BOB", values={"f:amount": "130"})
    rig.settle()
    assert rig.get(p["id"])["version"] == 2
    from bot.fakeslack.payloads import find_element

    _, button = find_element(old.edits[0]["blocks"] if old.edits else old.blocks, "cs_approve")
    assert button["value"].endswith(":1")  # the approve button the clicker saw carried version 1
    payload_value = button["value"]
    blocks = [{"type": "actions", "elements": [{**button, "value": payload_value}]}]
    ts = rig.svc.notifier.client.chat_postMessage(channel="C0PAYOUTS", text="old copy", blocks=blocks)["ts"]
    rig.driver.click("C0PAYOUTS", ts, "cs_approve", "U0ALICE")
    rig.settle()
    assert rig.get(p["id"])["status"] == "pending"
    [(who, reason)] = _refusals(rig, p["id"])
    assert who == "U0ALICE"
    assert reason.startswith("this proposal changed since you saw it")
