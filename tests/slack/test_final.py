"""Final is final: after Give up nothing runs again; Mark done and Give up happen once; shadow mode takes no
result; a possible duplicate is only ever one of the agent's own proposals."""

from __future__ import annotations

import copy

from tests.factories import add_agent
from tests.slack.rig import Rig, audit_events


def _failed(rig: Rig) -> dict:
    rig.receiver.script(422)  # a 4xx is final: no automatic retries
    p = rig.propose()
    rig.click(p["id"], "cs_approve", "U0ALICE")
    assert rig.get(p["id"])["execution"]["status"] == "failed"
    return p


def _actions(rig: Rig, pid: str) -> list[str]:
    return [a for a, _, _ in audit_events(rig.svc, pid) if a.startswith("execution")]


def test_retry_from_an_older_rendering_after_give_up_calls_nothing(rig: Rig) -> None:
    p = _failed(rig)
    slack = rig.get(p["id"])["slack"]
    shown_before = copy.deepcopy(rig.message(p["id"]))  # what another client still shows: Retry and Mark done
    calls = len(rig.receiver.deliveries)
    rig.click(p["id"], "cs_give_up", "U0OWNER")
    for action in ("cs_retry", "cs_mark_done", "cs_give_up"):
        resp = rig.driver.click_rendering(slack["channel"], shown_before, action, "U0OWNER")
        assert resp.status == 200
        rig.settle()
    assert len(rig.receiver.deliveries) == calls  # the connector was not called again
    execution = rig.get(p["id"])["execution"]
    assert (execution["status"], execution["result"]) == ("failed", {"given_up_by": "U0OWNER"})
    assert rig.ephemeral_texts("U0OWNER")[-3:] == ["U0OWNER gave up on this execution; that is final."] * 3
    assert _actions(rig, p["id"]).count("execution_given_up") == 1
    assert "execution_retry" not in _actions(rig, p["id"])


def test_mark_done_happens_once(rig: Rig) -> None:
    p = _failed(rig)
    slack = rig.get(p["id"])["slack"]
    shown_before = copy.deepcopy(rig.message(p["id"]))
    rig.click(p["id"], "cs_mark_done", "U0BOB")
    rig.driver.click_rendering(slack["channel"], shown_before, "cs_mark_done", "U0OWNER")
    rig.driver.click_rendering(slack["channel"], shown_before, "cs_give_up", "U0OWNER")
    rig.settle()
    assert rig.get(p["id"])["execution"]["result"] == {"summary": "done by hand by U0BOB"}
    assert _actions(rig, p["id"]).count("execution_done_by_hand") == 1
    assert "execution_given_up" not in _actions(rig, p["id"])
    assert rig.ephemeral_texts("U0OWNER") == ["Execution is succeeded, not failed."] * 2


def test_shadow_mode_refuses_a_result(rig: Rig) -> None:
    p = rig.propose(workflow="ledger", action="post", payload={"amount": 5})
    rig.click(p["id"], "cs_approve", "U0ALICE")
    assert rig.get(p["id"])["status"] == "approved"
    r = rig.http.post(f"/api/v1/proposals/{p['id']}/result", json={"ok": True}, headers=rig.auth)
    assert r.status_code == 409, r.text
    assert "nothing runs in shadow mode" in r.text
    assert rig.get(p["id"])["execution"]["status"] == "skipped"


def test_duplicate_of_names_only_the_agents_own_proposal(rig: Rig) -> None:
    other = {"Authorization": f"Bearer {add_agent(rig.svc, name='agent-2', scopes=('payouts',))}"}
    theirs = rig.propose()
    r = rig.http.post("/api/v1/proposals", json={"workflow": "payouts", **_same(theirs)}, headers=other)
    assert r.status_code == 201, r.text
    assert r.json()["duplicate_of"] is None  # same payload, but another agent's: not named
    mine = rig.propose(summary="again")
    assert mine["duplicate_of"] == theirs["id"]


def _same(p: dict) -> dict:
    return {"action": p["action"], "summary": "same payment", "payload": p["payload"]}
