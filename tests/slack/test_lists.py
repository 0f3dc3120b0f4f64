"""/approvals and the App Home tab: what waits for the caller, with links to the messages."""

from __future__ import annotations

from tests.slack.rig import Rig


def test_approvals_command_lists_what_waits_for_the_caller(rig: Rig) -> None:
    first = rig.propose(summary="Pay <!channel> Alice")
    second = rig.propose(payload={"to": "bob@example.com", "amount": 5000})
    rig.propose(workflow="ops", action="restart", payload={"service": "api"})  # not Alice's to decide
    resp = rig.driver.command("/approvals", "U0ALICE", "C0PAYOUTS")
    rig.settle()
    assert resp.status == 200
    assert resp.text == ""
    [reply] = rig.slack.ephemerals(user="U0ALICE")
    assert reply.text == "2 proposals waiting for you"
    items = [b["text"]["text"] for b in reply.blocks[1:]]
    assert items[0].startswith(f"*<{first['slack']['permalink']}|payouts / send>* — Pay &lt;!channel&gt; Alice")
    assert items[1].startswith(f"*<{second['slack']['permalink']}|payouts / send>*")
    assert "0 of 2 approvals" in items[1]
    rig.click(first["id"], "cs_approve", "U0ALICE")
    rig.click(second["id"], "cs_approve", "U0ALICE")  # approved by her: now it waits for someone else
    rig.driver.command("/approvals", "U0ALICE", "C0PAYOUTS")
    rig.settle()
    assert rig.slack.ephemerals(user="U0ALICE")[-1].text == "Nothing is waiting for you. 🎉"
    assert rig.slack.problems == []


def test_app_home_shows_the_same_list(rig: Rig) -> None:
    p = rig.propose(workflow="ops", action="restart", payload={"service": "api"})
    assert rig.driver.home_opened("U0OC07").status == 200
    rig.settle()
    home = rig.slack.home("U0OC07")
    texts = [b["text"]["text"] for b in home.blocks if b["type"] == "section"]
    assert texts[0].startswith(f"*<{p['slack']['permalink']}|ops / restart>*")
    rig.driver.home_opened("U0MALLORY")
    rig.settle()
    assert "Nothing is waiting for you" in str(rig.slack.home("U0MALLORY").blocks)
