"""After approval: results in the thread; a failed execution offers Retry / Mark done by hand / Give up;
handoffs are taken."""

from __future__ import annotations

from tests.slack.rig import Rig, buttons, message_text


def _failed(rig: Rig) -> dict:
    rig.receiver.script(422)  # a 4xx is final: no automatic retries
    p = rig.propose()
    rig.click(p["id"], "cs_approve", "U0ALICE")
    assert rig.get(p["id"])["execution"]["status"] == "failed"
    return p


def test_execution_result_is_posted_in_the_thread(rig: Rig) -> None:
    p = rig.propose()
    rig.click(p["id"], "cs_approve", "U0ALICE")
    [reply] = rig.thread_texts(p["id"])
    assert reply.startswith("✅ Executed: webhook")
    assert reply.endswith("(attempt 1)")
    assert "✅ *Executed*: webhook" in message_text(rig.message(p["id"]))


def test_failed_execution_offers_the_owner_three_ways_out(rig: Rig) -> None:
    p = _failed(rig)
    msg = rig.message(p["id"])
    assert buttons(msg) == ["cs_retry", "cs_mark_done", "cs_give_up"]
    assert "<@U0OWNER> (workflow owner)" in message_text(msg)
    note = rig.thread_texts(p["id"])[-1]
    assert note.startswith("❌ Execution failed after 1 attempt")
    assert "<@U0OWNER>, please choose" in note
    rig.click(p["id"], "cs_mark_done", "U0MALLORY")
    assert rig.ephemeral_texts("U0MALLORY") == [
        "Only the workflow owner or the deciders of this proposal may handle its failed execution."
    ]
    rig.click(p["id"], "cs_retry", "U0OWNER")
    after = rig.get(p["id"])
    assert after["execution"]["status"] == "succeeded"
    assert buttons(rig.message(p["id"])) == []


def test_mark_done_by_hand(rig: Rig) -> None:
    p = _failed(rig)
    rig.click(p["id"], "cs_mark_done", "U0BOB")
    assert rig.get(p["id"])["execution"]["result"] == {"summary": "done by hand by U0BOB"}
    assert "✅ *Executed*: done by hand by U0BOB" in message_text(rig.message(p["id"]))


def test_give_up_closes_it_for_good(rig: Rig) -> None:
    p = _failed(rig)
    rig.click(p["id"], "cs_give_up", "U0OWNER")
    msg = rig.message(p["id"])
    assert buttons(msg) == []
    assert "(given up by U0OWNER)" in message_text(msg)
    execution = rig.get(p["id"])["execution"]
    assert execution["status"] == "failed"
    assert execution["result"] == {"given_up_by": "U0OWNER"}


def test_handoff_is_taken_with_take_it(rig: Rig) -> None:
    h = rig.handoff(payload={"ticket": 42})
    rig.click(h["id"], "cs_take", "U0BOB")
    assert rig.ephemeral_texts("U0BOB")[0].startswith("You are not allowed to take this handoff. Only <@U0OWNER>")
    rig.click(h["id"], "cs_take", "U0OWNER")
    assert rig.get(h["id"])["status"] == "taken"
    msg = rig.message(h["id"])
    assert "🙋 *Taken* by <@U0OWNER>" in message_text(msg)
    assert buttons(msg) == []


def test_an_auto_approved_action_runs_without_any_slack_message(rig: Rig) -> None:
    """Live auto-approved actions are not shown in Slack; their success must not become a review-channel warning."""
    p = rig.propose(payload={"to": "a@example.com", "amount": 5})
    assert rig.get(p["id"])["execution"]["status"] == "succeeded"
    assert rig.slack.calls("chat.postMessage") == []


def test_an_auto_approved_action_that_fails_is_told_in_the_review_channel(rig: Rig) -> None:
    rig.receiver.script(422)
    p = rig.propose(payload={"to": "a@example.com", "amount": 5})
    assert rig.get(p["id"])["execution"]["status"] == "failed"
    [note] = rig.slack.messages("C0REVIEW")
    assert note.text.startswith(
        "⚠️ About Pay Alice for October (it has no approval message to reply to):\n❌ Execution failed after 1 attempt"
    )
    assert "<@U0OWNER>" in note.text
