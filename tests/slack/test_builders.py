"""Pure builders with hostile and huge inputs: no message or view may ever break a Slack limit."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.fakeslack import check_message_blocks, check_view
from bot.fakeslack.limits import view_size
from bot.flow.ports import Deciders, MessageFacts, MessageRef, Note, Surroundings
from bot.flow.public import ProposalPublic
from bot.policy import ApprovalPolicy
from bot.policy.display import DisplayField
from bot.slack import mrkdwn as md
from bot.slack.blocks import blocks_json, proposal_message
from bot.slack.lists import approvals_reply, home_view
from bot.slack.mention_text import parse
from bot.slack.modals import Origin, edit_modal, full_modal, reject_modal
from bot.slack.notes import RENDERERS, note_message
from bot.slack.schema_form import form_fields
from bot.slack.schema_form import parse as parse_form

WHEN = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
HUGE = "<!channel>&" * 1000


def _view(**overrides: Any) -> ProposalPublic:
    base: dict[str, Any] = dict(  # noqa: C408 - keyword form reads like the model
        id="p-1",
        kind="proposal",
        workflow="payouts",
        action="send",
        status="pending",
        route="approve",
        reason=HUGE,
        summary=HUGE * 2,
        payload={f"k{i}": HUGE for i in range(200)},
        original_payload={},
        edited=True,
        diff=[{"path": f"k{i}", "before": HUGE, "after": HUGE, "change": "changed"} for i in range(500)],
        problems=[{"path": f"k{i}." + "x" * 300, "message": HUGE} for i in range(300)],
        required_approvals=3,
        approvals=[{"user": f"U{i:04d}", "at": WHEN} for i in range(2)],
        decided_by=None,
        decision_reason=HUGE,
        execution={"status": "failed", "attempts": 5, "error": HUGE * 10},
        mode="shadow",
        created_at=WHEN,
        decided_at=WHEN,
        expires_at=WHEN,
        slack={"channel": "C1", "ts": "1.2", "permalink": "https://x.slack.com/a"},
        requested_by=HUGE[:100],
        idempotency_key=None,
        duplicate_of="p-0",
        version=7,
        escalation_level=0,
        links=[{"title": HUGE[:200], "url": "https://evil.example/" + "a|>" * 1000} for _ in range(10)],
    )
    return ProposalPublic.model_validate({**base, **overrides})


def _card(view: ProposalPublic) -> MessageFacts:
    approval = ApprovalPolicy.model_validate({"channel": "C0PAYOUTS"})
    many = Deciders(tuple(f"U{i:05d}" for i in range(400)), tuple(f"S{i:05d}" for i in range(100)))
    around = Surroundings(MessageRef("C9", "9.9"), many, MessageRef("C1", "1.1", "https://x.slack.com/" + "p" * 5000))
    return MessageFacts(
        view=view,
        approval=approval,
        owner="U0OWNER",
        review_channel="C0REVIEW",
        around=around,
        zone=ZoneInfo("Europe/Paris"),
        display=[DisplayField(field=f"k{i}") for i in range(200)],
        sensitive=["k1"],
        note=md.escape(HUGE[:500]),
    )


@pytest.mark.parametrize(
    "status", ["pending", "approved", "rejected", "expired", "cancelled", "auto_approved", "denied", "taken"]
)
def test_huge_hostile_proposal_fits_every_limit(status: str) -> None:
    text, blocks = proposal_message(_card(_view(status=status)))
    payload = blocks_json(blocks)
    assert check_message_blocks(payload) == []
    assert len(payload) <= 50
    assert len(text) <= 4000
    assert "<!channel>" not in text + str(payload)
    assert md.MENTION_TOKENS.findall(text) == []


def test_handoff_and_odd_payloads_fit() -> None:
    for payload in (None, "just text " * 5000, list(range(5000)), {"nested": {"deep": [HUGE] * 50}}):
        view = _view(kind="handoff", action="handoff", payload=payload, problems=[], status="pending")
        assert check_message_blocks(blocks_json(proposal_message(_card(view))[1])) == []


def test_modals_fit_and_full_modal_masks_sensitive() -> None:
    card = _card(_view())
    schema = {"type": "object", "properties": {f"k{i}": {"type": "string"} for i in range(200)}}
    for view in (
        edit_modal(card, schema, Origin("p-1", 7, "C1", "1.2")),
        reject_modal(card, Origin("p-1", 7)),
        full_modal(card),
    ):
        body = view.to_dict()
        assert check_view(body) == []
        assert view_size(body) < 250_000
        assert len(body["blocks"]) <= 100
    full = str(full_modal(_card(_view(payload={"k1": "secret-value", "k2": "shown"}))).to_dict())
    assert "secret-value" not in full
    assert "shown" in full


def test_notes_fit_for_every_kind() -> None:
    data = {
        "user": "U1",
        "diff": _view().diff,
        "required": 2,
        "summary": HUGE,
        "attempts": 3,
        "error": HUGE * 20,
        "owner": "U0OWNER",
        "n": 1,
        "waiting": [f"U{i:05d}" for i in range(1000)],
        "cap": 3,
        "mention": "S1X",
        "by": "countersign",
        "reason": HUGE,
        "ok": False,
    }
    for kind in [*RENDERERS, "something_new"]:
        text, blocks = note_message(Note(kind, data), ["k1"])
        assert check_message_blocks(blocks_json(blocks)) == []
        assert len(text) <= 3000
        assert "<!channel>" not in text


def test_lists_fit() -> None:
    views = [_view(id=f"p-{i}") for i in range(120)]
    _, blocks = approvals_reply(views, ZoneInfo("UTC"))
    assert check_message_blocks(blocks_json(blocks)) == []
    assert check_view(home_view(views, ZoneInfo("UTC")).to_dict()) == []


def test_mrkdwn_helpers() -> None:
    assert md.escape("a & <b> > c") == "a &amp; &lt;b&gt; &gt; c"
    assert md.escape("&lt;@U1&gt;") == "&amp;lt;@U1&amp;gt;"  # already-escaped text stays text: & goes first
    assert md.mention("U0ABC") == "<@U0ABC>"
    assert md.mention("S0GRP") == "<!subteam^S0GRP>"
    assert md.mention("U1>|<!channel") == "U1&gt;|&lt;!channel"
    assert md.link("javascript:alert(1)", "x").startswith("x (link not shown")
    assert md.link("https://a.example/x|y>z", "t<") == "<https://a.example/x%7Cy&gt;z|t&lt;> (a.example)"
    assert md.truncate("ab&amp;cd", 5) == "ab…"
    assert md.truncate("abc", 3) == "abc"
    assert md.date(WHEN, ZoneInfo("Europe/Paris")) == (
        "<!date^1793610000^{date_short_pretty} at {time}|2026-11-02 10:00 CET>"
    )
    assert "".join(md.chunks(md.escape("<&>" * 2000), 100)) == md.escape("<&>" * 2000)


def test_mention_commands() -> None:
    assert parse("<@UBOT> approve").verb == "approve"
    assert parse("<@UBOT|countersign>: reject too &lt;risky&gt; &amp; late").reason == "too <risky> & late"
    assert parse("<@UBOT> escalate to <!subteam^S0LEADS|@leads>").target == "S0LEADS"
    assert parse("<@UBOT> escalate").target is None
    assert parse("<@UBOT> hi").verb == "help"


def test_form_round_trip_keeps_unshown_fields_and_types() -> None:
    schema = {
        "type": "object",
        "required": ["n"],
        "properties": {
            "n": {"type": "integer"},
            "f": {"type": "number"},
            "b": {"type": "boolean"},
            "o": {"type": "string"},
            "deep": {"type": "object", "properties": {"x": {"type": "string"}}},
        },
    }
    fields = form_fields(schema)
    assert [f.path for f in fields] == ["n", "f", "b", "o", "deep.x"]
    values = {
        "f:n": {"cs_value": {"value": "7"}},
        "f:f": {"cs_value": {"value": "2.5"}},
        "f:b": {"cs_value": {"selected_options": []}},
        "f:o": {"cs_value": {"value": None}},
        "f:deep.x": {"cs_value": {"value": "y"}},
    }
    payload, errors = parse_form(fields, values, {"n": 1, "o": "gone", "extra": [1]})
    assert errors == {}
    assert payload == {"n": 7, "f": 2.5, "deep": {"x": "y"}, "extra": [1]}
    _, errors = parse_form(fields, {"f:n": {"cs_value": {"value": "7.5"}}}, {})
    assert errors == {"f:n": "must be a whole number"}
