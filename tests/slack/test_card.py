"""What you see is what you approve: the card shows every field in full (or continues it), masks sensitive
values everywhere, and keeps the agent's words visibly the agent's. Through the real app and the fake Slack."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.fakeslack import check_message_blocks
from bot.policy import load_policies
from tests.slack.rig import Rig, buttons, message_text

SECRET_TO = "jane.secret@customer.test"
SECRET_NESTED = "nested-secret@customer.test"
SECRET_ITEM = "array-secret@customer.test"
SECRET_PIN = "98x7"  # breaks the pattern: the schema error must not quote it

REPO = Path(__file__).resolve().parents[2]


def _body(lines: int) -> str:
    return "\n".join(
        f"Line {i}: thank you for writing & <waiting>; here is what we will do next." for i in range(lines)
    )


def _reply(rig: Rig, **payload: Any) -> dict[str, Any]:
    base = {"to": SECRET_TO, "subject": "Your refund", "body": _body(3)}
    return rig.propose(workflow="mail", action="reply", summary="Reply to Jane", payload={**base, **payload})


def test_an_email_reply_card_shows_the_whole_body(rig: Rig) -> None:
    body = _body(60)  # about 4,300 characters: more than one section holds
    p = _reply(rig, body=body)
    msg = rig.message(p["id"])
    text = message_text(msg)
    assert check_message_blocks(msg.blocks) == []
    assert "*Recipient*\n••••••" in text
    assert "*subject*\nYour refund" in text
    assert "*Message*\n>Line 0: thank you for writing &amp; &lt;waiting&gt;;" in text
    for i in range(60):  # every line, each quoted as the agent's words
        assert f">Line {i}: thank you" in text
    assert "cs_view_full" not in buttons(msg)  # nothing was cut


def test_a_body_longer_than_the_card_continues_in_view_full(rig: Rig) -> None:
    body = _body(1200) + "\nTHE END"  # about 90,000 characters: more than 24 sections
    p = _reply(rig, body=body)
    msg = rig.message(p["id"])
    assert check_message_blocks(msg.blocks) == []
    text = message_text(msg)
    assert "continued in *View full*" in text
    assert "THE END" not in text
    rig.click(p["id"], "cs_view_full", "U0BOB")
    [modal] = rig.slack.views("U0BOB")
    shown = message_text_of_view(modal.body)
    assert ">THE END" in shown
    assert rig.slack.problems == []


def message_text_of_view(view: dict[str, Any]) -> str:
    return "\n".join(b["text"]["text"] for b in view["blocks"] if b.get("text"))


def test_sensitive_values_never_reach_slack(rig: Rig) -> None:
    p = _reply(
        rig,
        customer={"email": SECRET_NESTED, "name": "Jane"},
        cc=[{"email": SECRET_ITEM}],
        pin=SECRET_PIN,
    )
    msg = rig.message(p["id"])
    text = message_text(msg)
    assert "Jane" in text  # the rest of the nested object is shown
    assert "pin must" in text  # the problem is reported, without the value
    rig.click(p["id"], "cs_edit", "U0ALICE")
    [edit] = rig.slack.views("U0ALICE")
    assert "Set, and hidden because it is sensitive" in json.dumps(edit.body)
    calls = str(rig.slack.calls())
    for secret in (SECRET_TO, SECRET_NESTED, SECRET_ITEM, SECRET_PIN):
        assert secret not in calls, secret
    assert rig.get(p["id"])["payload"]["pin"] == SECRET_PIN  # masked for display only


def test_editing_keeps_a_sensitive_value_unless_a_new_one_is_typed(rig: Rig) -> None:
    p = _reply(rig, customer={"email": SECRET_NESTED, "name": "Jane"})
    rig.click(p["id"], "cs_edit", "U0ALICE")
    resp = rig.driver.submit_view("U0ALICE", values={"f:subject": "Re: refund"})
    assert resp.status == 200, resp.text
    assert not resp.text, resp.text
    rig.settle()
    after = rig.get(p["id"])["payload"]
    assert after["subject"] == "Re: refund"
    assert after["to"] == SECRET_TO
    assert after["customer"]["email"] == SECRET_NESTED
    text = "\n".join(rig.thread_texts(p["id"])) + message_text(rig.message(p["id"]))
    assert SECRET_TO not in text
    assert SECRET_NESTED not in text


def test_problems_read_as_a_person_would_write_them(rig: Rig) -> None:
    p = _reply(rig, order_id="20417", ticket="abc", subject="")
    problems = {x["path"]: x["message"] for x in rig.get(p["id"])["problems"]}
    assert problems["order_id"] == "order_id is the ORD- number from the order page"
    assert problems["ticket"] == "Ticket number must look like T-123"
    assert problems["subject"] == "subject must be at least 1 character long"
    text = message_text(rig.message(p["id"]))
    assert "does not match" not in text
    assert "'20417'" not in text


def test_missing_fields_are_named(rig: Rig) -> None:
    p = rig.propose(workflow="mail", action="reply", summary="Reply", payload={"to": SECRET_TO, "body": "x"})
    problems = {x["path"]: x["message"] for x in rig.get(p["id"])["problems"]}
    assert problems == {"subject": "subject is missing"}


def test_agent_lines_cannot_pass_for_the_cards_own(rig: Rig) -> None:
    fake = "*Approved by* <@U0ALICE>\n*Why:* policy allows"
    p = rig.propose(
        workflow="mail",
        action="reply",
        summary=fake,
        payload={"to": SECRET_TO, "subject": "Hi", "body": fake},
        links=[{"title": "Invoice \u202egpj.exe", "url": "https://billing.example.com/i/42"}],
    )
    text = message_text(rig.message(p["id"]))
    assert "\n*Why:* policy allows" not in text  # every agent line is quoted
    assert ">*Why:* policy allows" in text
    assert "\u202e" not in text
    assert "<https://billing.example.com/i/42|Invoice gpj.exe> (billing.example.com)" in text


def test_bidi_controls_in_values_are_visible(rig: Rig) -> None:
    p = _reply(rig, subject="Refund \u202etxt.exe")
    text = message_text(rig.message(p["id"]))
    assert "Refund &lt;U+202E&gt;txt.exe" in text


def test_each_example_policy_shows_what_a_person_reviews() -> None:
    policies = load_policies(REPO / "policies")
    reply = policies.workflow("support-replies").action("send_reply")
    assert [(d.field, d.long) for d in reply.display][:3] == [("to", False), ("subject", False), ("body", True)]
    refund = policies.workflow("refunds").action("issue_refund")
    assert {"order_id", "amount", "currency", "reason", "note"} <= {d.field for d in refund.display}
    crm = policies.workflow("crm-updates").action("upsert_contact")
    assert {"email", "first_name", "last_name", "stage", "current_stage"} <= {d.field for d in crm.display}


def test_the_mention_help_shows_reason_as_typed(rig: Rig) -> None:
    p = rig.propose()
    resp = rig.driver.mention(p["slack"]["channel"], "U0ALICE", "what can you do?", thread_ts=p["slack"]["ts"])
    assert resp.status == 200
    rig.settle()
    [help_text] = [t for t in rig.thread_texts(p["id"]) if "mention me" in t]
    assert "`reject &lt;reason&gt;`" in help_text  # "<reason>" unescaped would be read as a link


def test_requested_by_a_person_reads_as_a_mention(rig: Rig) -> None:
    p = rig.propose(requested_by="U0CAROL")
    assert "*Requested by:* <@U0CAROL>" in message_text(rig.message(p["id"]))


def test_a_quorum_headline_names_every_approver(rig: Rig) -> None:
    p = rig.propose(payload={"to": "alice@example.com", "amount": 5000, "memo": "big"})
    assert rig.get(p["id"])["required_approvals"] == 2
    rig.click(p["id"], "cs_approve", "U0ALICE")
    rig.click(p["id"], "cs_approve", "U0BOB")
    text = message_text(rig.message(p["id"]))
    assert "✅ *Approved* by <@U0ALICE> and <@U0BOB> · " in text
