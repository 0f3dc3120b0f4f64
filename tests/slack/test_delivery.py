"""Slack trouble loses nothing: outages, rate limits, unreachable channels, expired triggers."""

from __future__ import annotations

import pytest

from bot.store import due
from bot.store.db import session_scope
from tests.slack.rig import Rig, message_text


def _due(rig: Rig, pid: str, kind: str) -> list:
    with session_scope(rig.svc.engine) as s:
        return list(due.for_proposal(session=s, proposal_id=pid, kind=kind))


def test_outage_while_posting_loses_nothing(rig: Rig) -> None:
    with rig.slack.outage():
        p = rig.propose()
    assert p["slack"]["ts"] is None
    assert rig.slack.messages("C0PAYOUTS") == []
    [post] = _due(rig, p["id"], "slack_post")
    assert post.state == "pending"
    assert "service_unavailable" in post.last_error
    rig.clock.advance(minutes=1)
    rig.settle()
    after = rig.get(p["id"])
    assert after["slack"]["ts"]
    assert rig.message(p["id"]).text.startswith("Approval needed")
    assert [m.ts for m in rig.slack.messages("C0PAYOUTS")] == [after["slack"]["ts"]]  # posted exactly once


def test_rate_limit_is_retried_after_retry_after(rig: Rig) -> None:
    rig.slack.fail_next("chat.postMessage", status=429, retry_after=1)
    p = rig.propose()
    calls = rig.slack.calls("chat.postMessage")
    assert [c.status for c in calls] == [429, 200]
    assert p["slack"]["ts"]


@pytest.mark.parametrize(
    ("channel", "error"),
    [("C0GONE", "channel_not_found"), ("C0NOBOT", "not_in_channel"), ("C0ARCHIVED", "is_archived")],
)
def test_unreachable_channel_posts_in_review_with_a_visible_note(rig: Rig, channel: str, error: str) -> None:
    ts = rig.slack.post_as_user(channel, "U0BOB", "agent thread").ts if channel != "C0GONE" else "1700000000.000100"
    p = rig.propose(thread={"channel": channel, "ts": ts})
    msg = rig.message(p["id"])
    assert msg.channel == "C0REVIEW"
    assert f"⚠️ Could not post in <#{channel}> ({error}); posted here instead." in message_text(msg)
    rig.click(p["id"], "cs_approve", "U0ALICE")  # people decide where it landed; updates keep saying why
    updated = message_text(rig.message(p["id"]))
    assert "✅ *Approved*" in updated
    assert f"Posted here because Countersign could not post in <#{channel}>" in updated
    assert rig.slack.problems == []


def test_nowhere_to_post_is_recorded_dead_and_logged(rig: Rig) -> None:
    rig.slack.delete_channel("C0REVIEW")
    p = rig.propose(thread={"channel": "C0GONE", "ts": "1700000000.000100"})
    [post] = _due(rig, p["id"], "slack_post")
    assert post.state == "dead"
    assert post.last_error == "Slack: channel_not_found; review channel C0REVIEW: channel_not_found"


def test_message_lost_after_posting_is_shown_in_review(rig: Rig) -> None:
    p = rig.propose()
    rig.slack.delete_channel("C0PAYOUTS")
    assert rig.http.post(f"/api/v1/proposals/{p['id']}/cancel", headers=rig.auth).status_code == 200
    rig.settle()
    [copy] = rig.slack.messages("C0REVIEW")
    assert "Could not update the message in <#C0PAYOUTS> (channel_not_found)" in message_text(copy)
    assert "🚫 *Cancelled*" in message_text(copy)


def test_expired_trigger_gets_a_clear_answer(rig: Rig) -> None:
    p = rig.propose()
    rig.slack.fail_next("views.open", error="expired_trigger_id")
    rig.click(p["id"], "cs_edit", "U0BOB")
    assert rig.ephemeral_texts("U0BOB") == [
        "Slack did not let me open the form in time (expired_trigger_id). Please click the button again."
    ]
    rig.click(p["id"], "cs_edit", "U0BOB")
    assert len(rig.slack.views("U0BOB")) == 1
