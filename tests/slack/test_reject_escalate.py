"""Reject (reason required, returned to the agent), Escalate (button and mention), decisions typed in the thread."""

from __future__ import annotations

import pytest

from bot.fakeslack import DriverError
from tests.slack.rig import Rig, audit_events, buttons, message_text


def test_reject_needs_a_reason_which_reaches_the_agent(rig: Rig) -> None:
    p = rig.propose()
    rig.click(p["id"], "cs_reject", "U0ALICE")
    [modal] = rig.slack.views("U0ALICE")
    assert modal.callback_id == "cs_reject_modal"
    with pytest.raises(DriverError, match="required"):
        rig.driver.submit_view("U0ALICE", values={})  # Slack itself refuses an empty required input
    blank = rig.driver.submit_view("U0ALICE", values={"cs_reason_input": "   "})
    assert blank.ack == {
        "response_action": "errors",
        "errors": {"cs_reason": "Please say why: the agent receives this reason."},
    }
    rig.settle()
    assert rig.get(p["id"])["status"] == "pending"
    rig.driver.submit_view("U0ALICE", values={"cs_reason_input": "wrong IBAN, ask finance"})
    rig.settle()
    after = rig.get(p["id"])
    assert (after["status"], after["decided_by"], after["decision_reason"]) == (
        "rejected",
        "U0ALICE",
        "wrong IBAN, ask finance",
    )
    msg = rig.message(p["id"])
    assert "❌ *Rejected* by <@U0ALICE>" in message_text(msg)
    assert ">wrong IBAN, ask finance" in message_text(msg)
    assert buttons(msg) == []
    assert rig.ephemeral_texts("U0ALICE") == ["❌ Rejected; the agent receives your reason."]
    assert rig.slack.problems == []


def test_escalate_button_mentions_the_next_step_in_the_thread(rig: Rig) -> None:
    p = rig.propose()
    rig.click(p["id"], "cs_escalate", "U0ALICE")
    assert rig.thread_texts(p["id"]) == ["📣 Escalated by <@U0ALICE>: <!subteam^S0LEADS>, please take a look."]
    assert rig.ephemeral_texts("U0ALICE") == ["📣 Escalated to <!subteam^S0LEADS>; they are mentioned in the thread."]
    assert any(a == "escalation" and who == "U0ALICE" for a, who, _ in audit_events(rig.svc, p["id"]))


def test_escalate_by_mention_to_someone_lets_them_decide(rig: Rig) -> None:
    p = rig.propose()
    rig.driver.mention("C0PAYOUTS", "U0ALICE", "<@UBOT> escalate to <@U0MALLORY|mallory>", thread_ts=p["slack"]["ts"])
    rig.settle()
    assert "<@U0ALICE>: escalated to <@U0MALLORY>" in rig.thread_texts(p["id"])
    assert "📣 Escalated by <@U0ALICE>: <@U0MALLORY>, please take a look." in rig.thread_texts(p["id"])
    rig.click(p["id"], "cs_approve", "U0MALLORY")
    assert rig.get(p["id"])["decided_by"] == "U0MALLORY"


def test_escalate_by_mention_to_a_user_group(rig: Rig) -> None:
    p = rig.propose()
    rig.driver.mention(
        "C0PAYOUTS", "U0BOB", "escalate to <!subteam^S0ONCALL|@oncall> please", thread_ts=p["slack"]["ts"]
    )
    rig.settle()
    assert "<@U0BOB>: escalated to <!subteam^S0ONCALL>" in rig.thread_texts(p["id"])


def test_outsider_cannot_escalate(rig: Rig) -> None:
    p = rig.propose()
    rig.driver.mention("C0PAYOUTS", "U0MALLORY", "escalate to <@U0MALLORY>", thread_ts=p["slack"]["ts"])
    rig.settle()
    assert rig.ephemeral_texts("U0MALLORY") == [
        "Only the deciders of this proposal or the workflow owner may escalate it."
    ]
    assert rig.get(p["id"])["status"] == "pending"


def test_approve_and_reject_typed_in_the_thread(rig: Rig) -> None:
    first, second = rig.propose(), rig.propose(payload={"to": "x@example.com", "amount": 30})
    rig.driver.mention("C0PAYOUTS", "U0BOB", "approve", thread_ts=first["slack"]["ts"])
    rig.driver.mention("C0PAYOUTS", "U0ALICE", "reject amount is wrong & late", thread_ts=second["slack"]["ts"])
    rig.settle()
    assert rig.get(first["id"])["status"] == "approved"
    assert "<@U0BOB>: Approved" in rig.thread_texts(first["id"])
    assert rig.get(second["id"])["decision_reason"] == "amount is wrong & late"
    assert "❌ *Rejected* by <@U0ALICE>" in message_text(rig.message(second["id"]))


def test_thread_commands_explain_themselves(rig: Rig) -> None:
    p = rig.propose()
    rig.driver.mention("C0PAYOUTS", "U0ALICE", "reject", thread_ts=p["slack"]["ts"])
    rig.driver.mention("C0PAYOUTS", "U0ALICE", "hello")
    rig.settle()
    assert rig.ephemeral_texts("U0ALICE") == [
        "Say why: `@Countersign reject &lt;reason&gt;` (the agent receives the reason)."
    ]
    [help_reply] = [m for m in rig.slack.messages("C0PAYOUTS", include_replies=True) if "mention me" in m.text]
    assert help_reply.text.startswith("In the thread of a proposal")
    assert rig.get(p["id"])["status"] == "pending"


def test_mention_in_the_agents_thread_finds_the_proposal_posted_there(rig: Rig) -> None:
    parent = rig.slack.post_as_user("C0AGENT", "U0BOB", "pay Alice?")
    p = rig.propose(thread={"channel": "C0AGENT", "ts": parent.ts})
    rig.driver.mention("C0AGENT", "U0CAROL", "approve", thread_ts=parent.ts)
    rig.settle()
    assert rig.get(p["id"])["decided_by"] == "U0CAROL"
