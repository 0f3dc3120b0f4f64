"""mrkdwn, mention and link injection through every text an agent (or a person typing in a form) controls: nothing
it sends can become a mention, a broadcast or a link in Slack; agent links are shown with their real host.
SQL-looking and HTML text is stored and returned verbatim, and shown escaped."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlmodel import func, select

from bot.fakes.webhook_receiver import Reply
from bot.fakeslack import MentionHit
from bot.store.db import read_scope
from bot.store.models import Agent, AuditEvent, Proposal
from tests.slack.rig import Rig, message_text

# Every form of Slack syntax that would ping, link or hide a link, plus formatting characters.
EVIL = (
    "<!channel> <!here|here> <!everyone> <@U0EVIL> <@U0EVIL|boss> <#C0EVIL> <!subteam^S0EVIL|@evil> "
    "<https://evil.example/steal|Your bank> <mailto:ceo@evil.example|CEO> <!date^1^{date}|x> "
    "&lt;!channel&gt; &amp; *bold* _it_ ~strike~ `code` ```pre``` >quote @channel @here"
)
MARKER = re.compile(r"evil", re.IGNORECASE)
AGENT_LINK = "<https://docs.example.com/"
SQL_HTML = (
    "Robert'); DROP TABLE proposals;-- \" ' ; <script>alert('x')</script> <b onmouseover=alert(1)>hi</b> "
    "%_\\ 1=1 OR '1'='1' /* */ \u202e\u0301 😀"
)


def _evil_hits(rig: Rig) -> list[MentionHit]:
    """Mention/link syntax that reached Slack and came from the attacker's text (the agent's own links aside: they
    are meant to be links, and are checked on their own)."""
    return [
        h for h in rig.slack.mentions_in() if any(MARKER.search(t) and not t.startswith(AGENT_LINK) for t in h.matches)
    ]


def _no_linkify_options(rig: Rig) -> None:
    """Raw '@here' stays text unless link_names or parse=full is set: the app never sets them."""
    for method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
        for call in rig.slack.calls(method):
            assert not call.args.get("link_names"), (method, call.args)
            assert call.args.get("parse") != "full", (method, call.args)


def test_agent_text_fields_never_become_mentions_or_links(rig: Rig) -> None:
    big = {f"field_{i}": f"{EVIL} {i}" for i in range(14)}  # more fields than the message shows: View full
    p = rig.propose(
        summary=f"Summary {EVIL}",
        requested_by=EVIL[:100],
        payload={
            "to": f"{EVIL}@example.com",
            "amount": 120,
            "memo": EVIL,
            EVIL: EVIL,
            "nested": {"deep": [EVIL, {"k": EVIL}]},
            **big,
        },
        links=[
            {"title": EVIL[:200], "url": "https://docs.example.com/runbook?q=1"},
            {"title": "plain", "url": "https://docs.example.com/a|<!channel>"},
            {"title": "x", "url": "https://docs.example.com/<@U0EVIL>"},
        ],
    )
    text = message_text(rig.message(p["id"]))
    assert "Summary &lt;!channel&gt; &lt;!here|here&gt;" in text
    assert "&amp;lt;!channel&amp;gt;" in text
    rig.click(p["id"], "cs_view_full", "U0ALICE")  # the full view modal carries every field
    assert rig.slack.views("U0ALICE")
    assert EVIL not in str(rig.slack.views("U0ALICE")[0].blocks)
    rig.driver.home_opened("U0ALICE")
    rig.driver.command("/approvals", "U0ALICE", "C0PAYOUTS")
    rig.settle()
    assert _evil_hits(rig) == []
    # The agent's own links are real links, showing where they go; nothing else in them links or mentions.
    linked = {t for h in rig.slack.mentions_in() for t in h.matches if "docs.example.com" in t}
    assert linked
    assert all(re.fullmatch(r"<https://docs\.example\.com/[^|<>]*\|[^<>]*>", t) for t in linked)
    assert "(docs.example.com)" in text
    _no_linkify_options(rig)


def test_text_people_type_in_forms_never_becomes_mentions_or_links(rig: Rig) -> None:
    """Edit values and rejection reasons are shown back in the message, the thread and to the agent."""
    p = rig.propose()
    rig.click(p["id"], "cs_edit", "U0BOB")
    rig.driver.submit_view("U0BOB", values={"f:memo": EVIL})
    rig.settle()
    rig.click(p["id"], "cs_reject", "U0ALICE")
    rig.driver.submit_view("U0ALICE", values={"cs_reason_input": EVIL})
    rig.settle()
    after = rig.get(p["id"])
    assert after["payload"]["memo"] == EVIL
    assert after["decision_reason"] == EVIL
    assert "&gt;&lt;!channel&gt;" not in message_text(rig.message(p["id"]))  # the quote marker stays outside
    assert "&lt;!channel&gt;" in message_text(rig.message(p["id"]))
    assert any("&lt;@U0EVIL&gt;" in t for t in rig.thread_texts(p["id"]))  # the edit diff, escaped
    assert _evil_hits(rig) == []
    _no_linkify_options(rig)


def test_a_reason_typed_in_the_thread_never_becomes_a_mention(rig: Rig) -> None:
    p = rig.propose()
    rig.driver.mention(
        "C0PAYOUTS", "U0ALICE", f"<@UBOT> reject {EVIL.replace('<@U0EVIL>', 'U0EVIL')}", thread_ts=p["slack"]["ts"]
    )
    rig.settle()
    assert rig.get(p["id"])["status"] == "rejected"
    bot_hits = list(_evil_hits(rig))
    assert bot_hits == []


def test_connector_and_agent_errors_never_become_mentions_or_links(rig: Rig) -> None:
    """A remote service's answer never reaches the thread (only its status); what the agent reports does, escaped."""
    rig.receiver.script(Reply(422, EVIL.encode()))
    failing = rig.propose()
    rig.click(failing["id"], "cs_approve", "U0ALICE")
    assert rig.get(failing["id"])["execution"]["status"] == "failed"
    note = rig.propose(action="note", payload={"text": EVIL}, summary=EVIL)
    rig.click(note["id"], "cs_approve", "U0ALICE")
    r = rig.http.post(
        f"/api/v1/proposals/{note['id']}/result",
        json={"ok": False, "error": EVIL, "result": {"x": EVIL}},
        headers=rig.auth,
    )
    assert r.status_code == 200, r.text
    rig.settle()
    failing_thread = rig.thread_texts(failing["id"])
    assert any("answered 422: Unprocessable Entity" in t for t in failing_thread)
    assert not any("channel" in t for t in failing_thread)
    assert any(
        t.startswith("❌ The agent reports the action failed: &lt;!channel&gt;") for t in rig.thread_texts(note["id"])
    )
    assert _evil_hits(rig) == []
    _no_linkify_options(rig)


def test_handoff_text_never_becomes_mentions_or_links(rig: Rig) -> None:
    h = rig.handoff(summary=EVIL, payload={"ticket": EVIL, EVIL: [EVIL]}, requested_by=EVIL[:100])
    rig.click(h["id"], "cs_take", "U0OWNER")
    assert rig.get(h["id"])["status"] == "taken"
    assert _evil_hits(rig) == []


@pytest.mark.parametrize("field", ["summary", "requested_by", "idempotency_key", "payload"])
def test_sql_and_html_text_is_stored_verbatim_and_shown_escaped(rig: Rig, field: str) -> None:
    value: Any = {"memo": SQL_HTML, SQL_HTML: "key"} if field == "payload" else SQL_HTML[:100]
    body: dict[str, Any] = {field: value}
    if field == "payload":
        body["payload"] = {"to": "a@example.com", "amount": 120, **value}
    p = rig.propose(**body)
    stored = rig.get(p["id"])
    assert stored[field] == body[field]  # exactly what was sent, whatever the database
    if field in {"summary", "requested_by", "payload"}:
        shown = message_text(rig.message(p["id"]))
        assert "&lt;script&gt;alert('x')&lt;/script&gt;" in shown
        assert "<script>" not in shown
    with read_scope(rig.svc.engine) as s:  # the tables are all still there and hold what they should
        assert s.exec(select(func.count()).select_from(Proposal)).one() == 1
        assert s.exec(select(func.count()).select_from(Agent)).one() == 1
        assert s.exec(select(func.count()).select_from(AuditEvent)).one() >= 2


def test_like_wildcards_in_idempotency_keys_match_only_themselves(rig: Rig) -> None:
    keys = ["order-%", "order-_", "order-1", "ORDER-1", "order-1 ", "order-\\"]
    ids = [
        rig.http.post("/api/v1/proposals", json={**_body(), "idempotency_key": k}, headers=rig.auth).json()["id"]
        for k in keys
    ]
    assert len(set(ids)) == len(keys)
    again = rig.http.post("/api/v1/proposals", json={**_body(), "idempotency_key": "order-%"}, headers=rig.auth)
    assert again.status_code == 200
    assert again.json()["id"] == ids[0]


def _body() -> dict[str, Any]:
    from tests.factories import proposal

    return proposal()


def test_payload_keys_with_dots_are_shown_not_a_crash(rig: Rig) -> None:
    """A handoff shows every top-level key; keys such as "example.com" were read as paths, and the message could
    never be posted (each attempt failed rendering it)."""
    h = rig.handoff(payload={"example.com": "mx", "v1.2": {"a.b": 1}, ".": 0, "": "empty key"})
    text = message_text(rig.message(h["id"]))
    assert "*example.com*\nmx" in text
    assert '*v1.2*\n{"a.b": 1}' in text


@pytest.mark.parametrize("typed", ['{"x": NaN}', '{"y": 1e999}', "[Infinity]", '{"z": "\\ud800"}'])
def test_an_edit_with_values_no_database_stores_is_a_field_error(rig: Rig, typed: str) -> None:
    """Python's JSON parser takes NaN and 1e999: stored as null on SQLite, an incident on PostgreSQL."""
    p = rig.propose(workflow="ops", action="restart", payload={"service": "api"})
    rig.click(p["id"], "cs_edit", "U0OC01")
    resp = rig.driver.submit_view("U0OC01", values={"f:meta": typed})
    rig.settle()
    assert resp.ack["response_action"] == "errors"
    assert set(resp.ack["errors"]) == {"f:meta"}
    assert "finite" in resp.ack["errors"]["f:meta"] or "Unicode" in resp.ack["errors"]["f:meta"]
    assert rig.get(p["id"])["version"] == 1
