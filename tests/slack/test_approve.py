"""Approve: who may, quorum, refusals (audited, explained), races, stale and already-decided clicks."""

from __future__ import annotations

import threading

from tests.slack.rig import Rig, audit_events, buttons, message_text
from tests.workspace import ONCALL

BIG = {"to": "bob@example.com", "amount": 5000}


def test_outsider_is_told_who_may_approve_and_the_attempt_is_audited(rig: Rig) -> None:
    p = rig.propose()
    rig.click(p["id"], "cs_approve", "U0MALLORY")
    assert rig.ephemeral_texts("U0MALLORY") == [
        (
            "You are not allowed to approve this proposal. Only <@U0ALICE>, <@U0BOB>, <@U0CAROL> or "
            "<!subteam^S0LEADS> may approve it."
        )
    ]
    assert ("refused", "U0MALLORY", "you are not allowed to approve this proposal") in audit_events(rig.svc, p["id"])
    assert rig.get(p["id"])["status"] == "pending"


def test_user_group_members_may_approve(rig: Rig) -> None:
    first, second = rig.propose(), rig.propose(payload={"to": "carol@example.com", "amount": 50})
    rig.click(first["id"], "cs_approve", "U0DAVE")
    rig.click(second["id"], "cs_approve", "U0DAVE")
    assert rig.get(first["id"])["decided_by"] == "U0DAVE"
    assert rig.get(second["id"])["status"] == "approved"
    assert len(rig.slack.calls("usergroups.users.list")) == 1  # cached between clicks


def test_self_approval_is_refused(rig: Rig) -> None:
    p = rig.propose(requested_by="U0ALICE")
    rig.click(p["id"], "cs_approve", "U0ALICE")
    assert rig.ephemeral_texts("U0ALICE") == [
        (
            "You requested this action, and this workflow does not allow self-approval. "
            "Ask <@U0BOB>, <@U0CAROL> or <!subteam^S0LEADS> to approve it."
        )
    ]
    assert rig.get(p["id"])["status"] == "pending"


def test_quorum_shows_progress_until_met(rig: Rig) -> None:
    p = rig.propose(payload=BIG)
    assert "*Waiting for approval* — 0 of 2 approvals" in message_text(rig.message(p["id"]))
    rig.click(p["id"], "cs_approve", "U0ALICE")
    msg = rig.message(p["id"])
    assert "1 of 2 approvals (<@U0ALICE>)" in message_text(msg)
    assert "cs_approve" in buttons(msg)
    assert rig.ephemeral_texts("U0ALICE") == ["✅ 1 of 2 approvals."]
    rig.click(p["id"], "cs_approve", "U0BOB")
    msg = rig.message(p["id"])
    assert rig.get(p["id"])["status"] == "approved"
    assert "✅ *Approved* by <@U0ALICE> and <@U0BOB> · " in message_text(msg)  # every approver named
    assert not {"cs_approve", "cs_edit", "cs_reject", "cs_escalate"} & set(buttons(msg))


def test_fifty_simultaneous_clicks_make_one_decision_and_one_update(rig: Rig) -> None:
    p = rig.propose(workflow="ops", action="restart", payload={"service": "api"})
    slack, updates = p["slack"], len(rig.slack.calls("chat.update"))
    statuses: list[int] = []
    gate = threading.Barrier(len(ONCALL), timeout=60)  # a thread that dies early must not hang the others

    def click(user: str) -> None:
        with rig.slack.driver(rig.url) as driver:
            gate.wait()
            statuses.append(driver.click(slack["channel"], slack["ts"], "cs_approve", user).status)

    threads = [threading.Thread(target=click, args=(u,)) for u in ONCALL]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rig.settle()
    after = rig.get(p["id"])
    assert statuses == [200] * 50
    assert after["status"] == "approved"
    assert after["decided_by"] in ONCALL
    assert [a for a, _, _ in audit_events(rig.svc, p["id"])].count("decision") == 1
    texts = [t for u in ONCALL for t in rig.ephemeral_texts(u)]
    assert texts.count("✅ Approved.") == 1
    assert texts.count(f"This proposal was already approved by <@{after['decided_by']}>.") == 49
    assert len(rig.slack.calls("chat.update")) == updates + 1
    assert rig.slack.problems == []


def test_click_on_an_already_decided_proposal(rig: Rig) -> None:
    p = rig.propose()
    slack = p["slack"]
    rig.driver.click(slack["channel"], slack["ts"], "cs_approve", "U0ALICE")
    rig.driver.click(slack["channel"], slack["ts"], "cs_reject", "U0BOB")  # Bob still sees the old buttons
    rig.settle()
    assert rig.ephemeral_texts("U0BOB") == ["This proposal was already approved by <@U0ALICE>."]
    assert rig.slack.views("U0BOB") == []  # no reject form for a decided proposal


def test_stale_click_after_an_edit_is_refused_and_the_message_refreshed(rig: Rig) -> None:
    p = rig.propose()
    rig.click(p["id"], "cs_edit", "U0BOB")
    rig.driver.submit_view("U0BOB", values={"f:amount": "90"})  # stored; the message is not re-rendered yet
    rig.click(p["id"], "cs_approve", "U0ALICE")  # Alice clicks on what she saw: version 1
    assert rig.ephemeral_texts("U0ALICE") == [
        (
            "This proposal changed since you saw it (now version 2); look again before deciding. "
            "The message now shows the current version."
        )
    ]
    after = rig.get(p["id"])
    assert (after["status"], after["version"], after["approvals"]) == ("pending", 2, [])
    msg = rig.message(p["id"])
    assert "*amount*\n90" in message_text(msg)
    assert msg.blocks[-1]["elements"][0]["value"] == f"{p['id']}:2"


def test_stale_click_after_the_agent_cancelled(rig: Rig) -> None:
    p = rig.propose()
    assert rig.http.post(f"/api/v1/proposals/{p['id']}/cancel", headers=rig.auth).status_code == 200
    rig.click(p["id"], "cs_approve", "U0ALICE")
    assert rig.ephemeral_texts("U0ALICE") == ["This proposal was already cancelled by agent:agent-1."]
    msg = rig.message(p["id"])
    assert "🚫 *Cancelled* by agent:agent-1" in message_text(msg)
    assert buttons(msg) == []


def test_a_click_while_slack_fails_auth_test_still_decides(rig: Rig) -> None:
    """Bolt asks Slack who the bot is on the first request; Slack failing to answer must not drop the click."""
    p = rig.propose()
    rig.slack.fail_rate(1.0, methods=["auth.test"], statuses=(500,))
    rig.click(p["id"], "cs_approve", "U0ALICE")
    assert rig.get(p["id"])["status"] == "approved"
    assert rig.slack.calls("auth.test")
    assert all(c.status == 500 for c in rig.slack.calls("auth.test"))
    rig.slack.fail_rate(0.0)
    second = rig.propose(payload={"to": "carol@example.com", "amount": 50})
    third = rig.propose(payload={"to": "dave@example.com", "amount": 60})
    rig.click(second["id"], "cs_approve", "U0ALICE")
    rig.click(third["id"], "cs_approve", "U0ALICE")
    assert rig.get(second["id"])["status"] == rig.get(third["id"])["status"] == "approved"
    assert [c.status for c in rig.slack.calls("auth.test")][-1] == 200  # asked again, then remembered
    assert len([c for c in rig.slack.calls("auth.test") if c.status == 200]) == 1
