"""The approval message through the real app: content, escaping, masking, truncation + View full, placement."""

from __future__ import annotations

import json

from bot.fakeslack import check_message_blocks
from tests.slack.rig import Rig, buttons, message_text

EVIL = "<!channel> <@U0MALLORY> <https://evil.example|bank> <#C0REVIEW> <!subteam^S0LEADS> & co"
ESCAPED_EVIL = "&lt;!channel&gt; &lt;@U0MALLORY&gt; &lt;https://evil.example|bank&gt; &lt;#C0REVIEW&gt;"


def _tokens(rig: Rig) -> set[str]:
    return {m for hit in rig.slack.mentions_in() for m in hit.matches}


def test_message_shows_what_a_human_needs(rig: Rig) -> None:
    p = rig.propose(requested_by="ops-bot", links=[{"title": "Invoice 42", "url": "https://billing.example.com/i/42"}])
    msg = rig.message(p["id"])
    text = message_text(msg)
    assert msg.text.startswith("Approval needed · payouts / send: Pay Alice for October")
    assert "*amount*\n120" in text
    assert "*memo*\nOctober invoice" in text
    assert "*Why:* no rule matched: needs approval" in text
    assert "*Who may approve:* <@U0ALICE>, <@U0BOB>, <@U0CAROL> or <!subteam^S0LEADS>" in text
    assert "*Expires:* <!date^1793696400^{date_short_pretty} at {time}|2026-11-03 09:00 UTC>" in text
    assert "<https://billing.example.com/i/42|Invoice 42> (billing.example.com)" in text
    assert "*Requested by:* ops-bot" in text
    assert buttons(msg) == ["cs_approve", "cs_edit", "cs_reject", "cs_escalate"]
    assert (msg.channel, msg.thread_ts) == ("C0PAYOUTS", None)
    assert rig.slack.problems == []
    assert check_message_blocks(msg.blocks) == []


def test_sensitive_fields_are_masked_everywhere(rig: Rig) -> None:
    p = rig.propose(payload={"to": "secret-iban-DE89", "amount": 120})
    text = message_text(rig.message(p["id"]))
    assert "secret-iban-DE89" not in text
    assert "*to*\n••••••" in text
    assert "secret-iban-DE89" not in str(rig.slack.calls())  # nothing sent to Slack carries it


def test_agent_text_never_becomes_a_mention_or_a_link(rig: Rig) -> None:
    p = rig.propose(
        summary=f"Pay now {EVIL}",
        requested_by=EVIL,
        payload={"to": "x@example.com", "amount": 120, "memo": EVIL},
        links=[{"title": EVIL, "url": "https://docs.example.com/guide?a=1&b=2"}],
    )
    rig.click(p["id"], "cs_reject", "U0ALICE")
    rig.driver.submit_view("U0ALICE", values={"cs_reason_input": f"no: {EVIL}"})
    rig.settle()
    text = message_text(rig.message(p["id"]))
    assert text.count(ESCAPED_EVIL) >= 4  # summary, memo field, requested by, reason
    allowed_prefixes = (
        "<@U0ALICE>",
        "<@U0BOB>",
        "<@U0CAROL>",
        "<!subteam^S0LEADS>",
        "<!date^",
        "<https://docs.example.com/guide?a=1&amp;b=2|",
    )
    assert all(t.startswith(allowed_prefixes) for t in _tokens(rig)), _tokens(rig)
    link = next(t for t in _tokens(rig) if t.startswith("<https://docs"))
    assert "&lt;https://evil.example|bank&gt;" in link
    assert link.endswith("&amp; co>")
    assert rig.get(p["id"])["decision_reason"] == f"no: {EVIL}"  # stored as typed, escaped only for display


def test_long_values_are_cut_and_view_full_shows_everything(rig: Rig) -> None:
    summary = "Refund details: " + "<&>" * 3000 + " END"
    memo = "m" * 5000
    p = rig.propose(summary=summary, payload={"to": "alice@example.com", "amount": 120, "memo": memo})
    msg = rig.message(p["id"])
    assert "cs_view_full" in buttons(msg)
    assert check_message_blocks(msg.blocks) == []
    assert "END" not in message_text(msg)
    rig.click(p["id"], "cs_view_full", "U0BOB")
    [modal] = rig.slack.views("U0BOB")
    sections = [b["text"]["text"] for b in modal.blocks if b["type"] == "section"]
    shown = "".join(t.removeprefix(">") for t in sections).replace("```", "")  # summary pieces are quoted
    assert "&lt;&amp;&gt;" * 3000 + " END" in shown
    assert memo in shown
    assert "alice@example.com" not in shown
    assert '"to": "••••••"' in shown
    assert rig.slack.problems == []


def test_two_hundred_fields_in_a_handoff(rig: Rig) -> None:
    payload = {f"field_{i:03d}": "v" * 300 for i in range(200)}
    h = rig.handoff(payload=payload)
    msg = rig.message(h["id"])
    assert check_message_blocks(msg.blocks) == []
    assert "… and 180 more fields" in message_text(msg)
    assert buttons(msg) == ["cs_take", "cs_escalate", "cs_view_full"]
    rig.click(h["id"], "cs_view_full", "U0BOB")
    shown = "".join(b["text"]["text"] for b in rig.slack.views("U0BOB")[0].blocks if b["type"] == "section")
    assert all(f"field_{i:03d}" in shown for i in range(200))
    assert rig.slack.problems == []


def test_three_hundred_problems_hide_approve(rig: Rig) -> None:
    p = rig.propose(workflow="ops", action="restart", payload={"service": "api", "tags": list(range(300))})
    msg = rig.message(p["id"])
    assert len(p["problems"]) == 300
    assert check_message_blocks(msg.blocks) == []
    assert buttons(msg) == ["cs_edit", "cs_reject", "cs_escalate", "cs_view_full"]
    assert "… and 290 more" in message_text(msg)
    assert "Approve stays hidden" in message_text(msg)


def test_posted_in_the_agents_thread_when_given(rig: Rig) -> None:
    parent = rig.slack.post_as_user("C0AGENT", "U0BOB", "can we pay Alice?")
    p = rig.propose(thread={"channel": "C0AGENT", "ts": parent.ts})
    msg = rig.message(p["id"])
    assert (msg.channel, msg.thread_ts) == ("C0AGENT", parent.ts)
    assert rig.slack.messages("C0PAYOUTS") == []
    assert p["slack"]["permalink"].endswith(f"?thread_ts={parent.ts}&cid=C0AGENT")


def test_shadow_mode_is_marked_and_records_the_would_be_decision(rig: Rig) -> None:
    p = rig.propose(workflow="ledger", action="post", payload={"amount": 5})
    msg = rig.message(p["id"])
    assert msg.text.startswith("SHADOW · Approval needed")
    assert "*SHADOW MODE*" in message_text(msg)
    rig.click(p["id"], "cs_approve", "U0ALICE")
    after = rig.get(p["id"])
    assert (after["status"], after["execution"]["status"]) == ("approved", "skipped")
    assert "nothing executes" in message_text(rig.message(p["id"]))
    assert buttons(rig.message(p["id"])) == []


def test_possible_duplicate_links_to_the_earlier_message(rig: Rig) -> None:
    first = rig.propose()
    second = rig.propose()
    text = message_text(rig.message(second["id"]))
    assert f"<{first['slack']['permalink']}|this earlier proposal>" in text
    assert json.dumps(first["payload"]) == json.dumps(second["payload"])
