"""A typed `@Countersign approve` / `reject` is held to the version the card shows, like a button."""

from __future__ import annotations

from tests.slack.rig import Rig, audit_events


def _edit_without_updating_the_card(rig: Rig, pid: str, amount: str) -> None:
    rig.click(pid, "cs_edit", "U0BOB")
    resp = rig.driver.submit_view("U0BOB", values={"f:amount": amount})
    assert resp.ack is None  # the edit is stored; the card update waits in the outbox (no sweep yet)


def _type(rig: Rig, pid: str, user: str, text: str) -> None:
    rig.driver.mention("C0PAYOUTS", user, f"<@UBOT> {text}", thread_ts=rig.get(pid)["slack"]["ts"])
    assert rig.app.state.slack_lazy.wait_idle(30)


def test_typed_approve_on_a_version_the_card_does_not_show_is_refused(rig: Rig) -> None:
    p = rig.propose()
    _edit_without_updating_the_card(rig, p["id"], "90")
    assert "120" in str(rig.message(p["id"]).blocks)  # the card still shows version 1
    _type(rig, p["id"], "U0ALICE", "approve")
    after = rig.get(p["id"])
    assert (after["status"], after["version"], after["approvals"]) == ("pending", 2, [])
    [answer] = [t for t in rig.thread_texts(p["id"]) if t.startswith("<@U0ALICE>:")]
    assert "nothing was decided" in answer
    assert "edited since its card was last updated (it is now version 2)" in answer
    assert f"<{after['slack']['permalink']}|the card>" in answer
    assert ("refused", "U0ALICE") in [(a, who) for a, who, _ in audit_events(rig.svc, p["id"])]
    rig.settle()  # the card now shows version 2 (the refusal also asked for a refresh)
    assert "90" in str(rig.message(p["id"]).blocks)
    _type(rig, p["id"], "U0ALICE", "approve")
    rig.settle()
    done = rig.get(p["id"])
    assert (done["status"], done["payload"]["amount"], done["decided_by"]) == ("approved", 90, "U0ALICE")


def test_typed_reject_is_held_to_the_card_too(rig: Rig) -> None:
    p = rig.propose()
    _edit_without_updating_the_card(rig, p["id"], "95")
    _type(rig, p["id"], "U0ALICE", "reject wrong account")
    assert rig.get(p["id"])["status"] == "pending"
    rig.settle()
    _type(rig, p["id"], "U0ALICE", "reject wrong account")
    assert rig.get(p["id"])["status"] == "rejected"


def test_typed_approve_of_the_version_shown_counts(rig: Rig) -> None:
    p = rig.propose()
    _type(rig, p["id"], "U0ALICE", "approve")
    assert rig.get(p["id"])["status"] == "approved"
