"""Edit: a modal generated from the JSON Schema, inline errors, the diff in the thread, policy re-evaluated."""

from __future__ import annotations

from typing import Any

from tests.slack.rig import Rig, audit_events, buttons, message_text

FULL = {
    "service": "api",
    "region": "eu",
    "force": True,
    "replicas": 3,
    "notes": "rolling",
    "tags": ["a", "b"],
    "limits": {"cpu": 0.5, "memory": "1Gi"},
    "secret": "s3cret",
    "meta": {"k": [1, 2]},
}


def _inputs(rig: Rig, user: str) -> dict[str, dict[str, Any]]:
    [modal] = rig.slack.views(user)
    return {b["block_id"]: b for b in modal.blocks if b["type"] == "input"}


def test_modal_has_one_typed_prefilled_input_per_field(rig: Rig) -> None:
    p = rig.propose(workflow="ops", action="restart", payload=FULL)
    rig.click(p["id"], "cs_edit", "U0OC01")
    inputs = _inputs(rig, "U0OC01")
    kinds = {bid: (b["element"]["type"], b["label"]["text"], b.get("optional", False)) for bid, b in inputs.items()}
    assert kinds == {
        "f:service": ("plain_text_input", "service", False),
        "f:region": ("static_select", "region", True),
        "f:force": ("checkboxes", "force", True),
        "f:replicas": ("number_input", "replicas", True),
        "f:notes": ("plain_text_input", "notes", True),
        "f:tags": ("plain_text_input", "tags", True),
        "f:limits.cpu": ("number_input", "limits.cpu", True),
        "f:limits.memory": ("plain_text_input", "limits.memory", True),
        "f:secret": ("plain_text_input", "secret", True),
        "f:meta": ("plain_text_input", "meta", True),
    }
    el = {bid: b["element"] for bid, b in inputs.items()}
    assert el["f:service"]["initial_value"] == "api"
    assert inputs["f:service"]["hint"]["text"] == "Service to restart"
    assert el["f:region"]["initial_option"]["text"]["text"] == "eu"
    assert [o["value"] for o in el["f:force"]["initial_options"]] == ["true"]
    assert (
        el["f:replicas"]["initial_value"],
        el["f:replicas"]["is_decimal_allowed"],
        el["f:replicas"]["min_value"],
    ) == ("3", False, "0")
    assert el["f:notes"]["multiline"] is True
    assert el["f:notes"]["max_length"] == 2000
    assert el["f:tags"]["initial_value"] == "a\nb"
    assert el["f:limits.cpu"]["is_decimal_allowed"] is True
    assert "initial_value" not in el["f:secret"]  # a sensitive value is never sent to Slack, only shown as set
    assert inputs["f:secret"]["hint"]["text"].startswith("Set, and hidden because it is sensitive")
    assert '"k"' in el["f:meta"]["initial_value"]
    assert rig.slack.problems == []


def test_submitted_values_come_back_typed(rig: Rig) -> None:
    p = rig.propose(workflow="ops", action="restart", payload=FULL)
    rig.click(p["id"], "cs_edit", "U0OC01")
    resp = rig.driver.submit_view(
        "U0OC01",
        values={
            "f:region": "1",
            "f:force": [],
            "f:replicas": "5",
            "f:tags": "x\n\ny ",
            "f:limits.cpu": "2",
            "f:notes": "",
            "f:meta": '{"k": null}',
        },
    )
    rig.settle()
    assert resp.ack is None
    assert rig.slack.views("U0OC01") == []
    assert rig.get(p["id"])["payload"] == {
        "service": "api",
        "region": "us",
        "force": False,
        "replicas": 5,
        "tags": ["x", "y"],
        "limits": {"cpu": 2, "memory": "1Gi"},
        "secret": "s3cret",
        "meta": {"k": None},
    }  # notes emptied: absent


def test_invalid_edit_gets_inline_errors_and_changes_nothing(rig: Rig) -> None:
    p = rig.propose(workflow="ops", action="restart", payload={"service": "api"})
    rig.click(p["id"], "cs_edit", "U0OC01")
    resp = rig.driver.submit_view("U0OC01", values={"f:service": "API <!channel>", "f:meta": "{not json"})
    assert resp.ack["response_action"] == "errors"
    assert set(resp.ack["errors"]) == {"f:meta"}
    assert resp.ack["errors"]["f:meta"].startswith("not valid JSON")
    resp = rig.driver.submit_view("U0OC01", values={"f:service": "API <!channel>"})
    assert resp.ack == {
        "response_action": "errors",
        "errors": {"f:service": "service must match the pattern ^[a-z-]+$"},
    }
    assert rig.slack.views("U0OC01")[0].errors == resp.ack["errors"]
    assert rig.slack.problems == []
    assert rig.get(p["id"])["version"] == 1


def test_valid_edit_shows_the_diff_and_approval_records_it(rig: Rig) -> None:
    p = rig.propose()
    rig.click(p["id"], "cs_edit", "U0BOB")
    rig.driver.submit_view("U0BOB", values={"f:amount": "90", "f:to": "alice@new.example.com"})
    rig.settle()
    assert rig.thread_texts(p["id"]) == [
        (
            "✏️ <@U0BOB> edited the payload:\n• `amount`: 120 → 90\n• `to`: •••••• → ••••••\n"
            "It now needs 1 approval of this version."
        )
    ]
    assert "• `amount`: 120 → 90" in message_text(rig.message(p["id"]))
    rig.click(p["id"], "cs_approve", "U0ALICE")
    after = rig.get(p["id"])
    assert (after["status"], after["edited"], after["payload"]["amount"]) == ("approved", True, 90)
    assert "✅ *Approved with edits* by <@U0ALICE>" in message_text(rig.message(p["id"]))
    assert "with edits" in message_text(rig.message(p["id"]))


def test_edit_over_the_threshold_needs_the_larger_quorum(rig: Rig) -> None:
    p = rig.propose()
    rig.click(p["id"], "cs_edit", "U0BOB")
    rig.driver.submit_view("U0BOB", values={"f:amount": "1500"})
    rig.settle()
    after = rig.get(p["id"])
    assert (after["required_approvals"], after["reason"]) == (2, "over 1000")
    assert "0 of 2 approvals" in message_text(rig.message(p["id"]))
    rig.click(p["id"], "cs_approve", "U0ALICE")
    assert rig.get(p["id"])["status"] == "pending"


def test_edit_hitting_a_deny_rule_is_refused_with_its_reason(rig: Rig) -> None:
    p = rig.propose()
    rig.click(p["id"], "cs_edit", "U0BOB")
    resp = rig.driver.submit_view("U0BOB", values={"f:amount": "-5"})
    assert resp.ack == {
        "response_action": "errors",
        "errors": {"f:to": "This edit is refused by policy: negative amount."},
    }
    assert rig.get(p["id"])["payload"]["amount"] == 120
    assert ("refused", "U0BOB", "this edit is refused by policy: negative amount") in audit_events(rig.svc, p["id"])


def test_fixing_problems_brings_approve_back(rig: Rig) -> None:
    p = rig.propose(workflow="ops", action="restart", payload={"service": "api", "tags": [1, 2]})
    assert "cs_approve" not in buttons(rig.message(p["id"]))
    rig.click(p["id"], "cs_edit", "U0OC02")
    assert _inputs(rig, "U0OC02")["f:tags"]["element"]["initial_value"] == "1\n2"
    rig.driver.submit_view("U0OC02", values={"f:tags": "one\ntwo"})
    rig.settle()
    assert rig.get(p["id"])["problems"] == []
    assert "cs_approve" in buttons(rig.message(p["id"]))


def test_outsider_cannot_open_the_edit_form(rig: Rig) -> None:
    p = rig.propose()
    rig.click(p["id"], "cs_edit", "U0MALLORY")
    assert rig.slack.views("U0MALLORY") == []
    assert rig.ephemeral_texts("U0MALLORY")[0].startswith("You are not allowed to edit this proposal. Only <@U0ALICE>")
    assert ("refused", "U0MALLORY", "you are not allowed to edit this proposal") in audit_events(rig.svc, p["id"])
