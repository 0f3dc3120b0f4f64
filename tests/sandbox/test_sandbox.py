"""The sandbox in-process: the page, the seeded workspace, the demo proposals, clicks that really execute."""

from __future__ import annotations

import re

import httpx

from bot.sandbox import Sandbox
from tests.sandbox.conftest import wait_for
from tests.sandbox.helpers import (
    block_texts,
    button,
    buttons,
    find_message,
    replies,
    state,
)

FINANCE = "U0FINANCE1"


def test_page_is_one_self_contained_html_file(page: httpx.Client) -> None:
    r = page.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "Countersign sandbox" in r.text
    # no CDN, no build step: nothing is loaded from anywhere else
    assert not re.search(r"""(src|href)=["']https?://""", r.text)
    assert "<script src" not in r.text
    assert "<link" not in r.text


def test_workspace_is_seeded_from_the_policies(page: httpx.Client) -> None:
    ws = state(page)["workspace"]
    names = {c["id"]: c["name"] for c in ws["channels"]}
    assert names == {"C0FINANCE": "finance", "C0SUPPORT": "support", "C0SALESOPS": "sales-ops", "C0REVIEW": "review"}
    assert all(ws["bot"]["user_id"] in c["members"] for c in ws["channels"])
    groups = {g["id"]: g["users"] for g in ws["usergroups"]}
    assert set(groups) == {"S0FINANCE", "S0SUPPORTLEADS", "S0REVOPS"}
    assert {"U0FINANCE1", "U0FINANCE2"} <= set(groups["S0FINANCE"])
    assert ws["users"]["U0FINANCE1"]["real_name"] == "Fatima Diaz"


def test_demo_agent_proposals_are_shown(sandbox: Sandbox, page: httpx.Client) -> None:
    st = wait_for(
        lambda: (
            (s := state(page))
            and len(s["sandbox"]["webhooks"]) == 1
            and find_message(s, "ORD-20417")
            and find_message(s, "Bo Jensen")
            and s
        ),
        what="the demo",
    )
    agent = st["sandbox"]["agent"]
    assert [a["status"] for a in agent] == ["auto_approved"] + ["pending"] * 6
    # the auto-approved refund is executed at once, signed with the secret the sandbox set for the policy
    delivery = st["sandbox"]["webhooks"][0]
    assert delivery["verified"]
    assert delivery["body"]["payload"]["order_id"] == "ORD-10442"
    two = find_message(st, "espresso machine arrived")
    assert "0 of 2 approvals" in block_texts(two)
    assert "Approve" in buttons(two)
    duplicate = find_message(st, "customer wrote again")
    assert "Possible duplicate" in block_texts(duplicate)
    broken = find_message(st, "ORD-20417")
    assert "Problems with the payload" in block_texts(broken)
    assert "Approve" not in buttons(broken)
    assert "Edit" in buttons(broken)
    shadow = find_message(st, "Bo Jensen")
    assert shadow["channel"] == "C0SALESOPS"
    assert "Would approve" in buttons(shadow)
    # the support reply is posted in the thread of the customer's email
    email = find_message(st, "New email from Ana Silva")
    assert any("send_reply" in text for text in replies(st, email))


def test_a_click_approves_and_the_webhook_receives_the_refund(sandbox: Sandbox, page: httpx.Client) -> None:
    msg = wait_for(lambda: find_message(state(page), "ORD-20331"), what="the refund message")
    r = page.post("/api/click", json={"user": FINANCE, **button(msg, "Approve")})
    assert r.status_code == 200, r.text
    assert r.json()["ok"], r.text
    st = wait_for(
        lambda: (
            (s := state(page))
            and any(d["body"]["payload"]["order_id"] == "ORD-20331" for d in s["sandbox"]["webhooks"])
            and s
        ),
        what="execution",
    )
    delivery = next(d for d in st["sandbox"]["webhooks"] if d["body"]["payload"]["order_id"] == "ORD-20331")
    assert delivery["verified"]
    assert delivery["idempotency_key"]
    st = wait_for(
        lambda: (s := state(page)) and any("Executed" in t for t in replies(s, find_message(s, "ORD-20331"))) and s,
        what="the result in the thread",
    )
    updated = find_message(st, "ORD-20331")
    assert "Approved" in block_texts(updated)
    assert buttons(updated) == []
    assert any(e["user"] == FINANCE and "Approved" in e["text"] for e in st["workspace"]["ephemerals"])


def test_edit_shows_inline_errors_then_fixes_the_payload(page: httpx.Client) -> None:
    msg = wait_for(lambda: find_message(state(page), "ORD-20417"), what="the refund with problems")
    assert page.post("/api/click", json={"user": FINANCE, **button(msg, "Edit")}).json()["ok"]
    view = wait_for(lambda: state(page)["workspace"]["views"].get(FINANCE), what="the Edit modal")[-1]
    inputs = {b["block_id"]: b["element"]["type"] for b in view["blocks"] if b["type"] == "input"}
    assert inputs["f:amount"] == "number_input"
    assert inputs["f:currency"] == "static_select"
    assert inputs["f:note"] == "plain_text_input"
    currency = next(
        o["value"]
        for b in view["blocks"]
        if b["block_id"] == "f:currency"
        for o in b["element"]["options"]
        if o["text"]["text"] == "USD"
    )
    reason = next(
        o["value"]
        for b in view["blocks"]
        if b["block_id"] == "f:reason"
        for o in b["element"]["options"]
        if o["text"]["text"] == "not_received"
    )
    values = {"f:order_id": "20417", "f:amount": "89.9", "f:currency": currency, "f:reason": reason}
    bad = page.post("/api/submit", json={"user": FINANCE, "view_id": view["id"], "values": values}).json()
    assert bad["closed"] is False
    assert "ORD-" in bad["errors"]["f:order_id"]
    assert state(page)["workspace"]["view_errors"][view["id"]] == bad["errors"]
    good = page.post(
        "/api/submit", json={"user": FINANCE, "view_id": view["id"], "values": {**values, "f:order_id": "ORD-20417"}}
    ).json()
    assert good["closed"] is True
    assert good["errors"] == {}
    fixed = wait_for(
        lambda: (m := find_message(state(page), "ORD-20417")) and "Approve" in buttons(m) and m,
        what="the updated message",
    )
    assert "Problems with the payload" not in block_texts(fixed)
    assert "Edited" in block_texts(fixed)


def test_reject_needs_a_reason_like_slack(page: httpx.Client) -> None:
    msg = wait_for(lambda: find_message(state(page), "ORD-20331"), what="the refund message")
    page.post("/api/click", json={"user": FINANCE, **button(msg, "Reject")})
    view = wait_for(lambda: state(page)["workspace"]["views"].get(FINANCE), what="the Reject modal")[-1]
    empty = page.post("/api/submit", json={"user": FINANCE, "view_id": view["id"], "values": {}})
    assert empty.status_code == 400
    assert "required" in empty.json()["error"]
    done = page.post(
        "/api/submit",
        json={"user": FINANCE, "view_id": view["id"], "values": {"cs_reason": "Customer already got a replacement"}},
    )
    assert done.json()["closed"] is True
    wait_for(lambda: "Rejected" in block_texts(find_message(state(page), "ORD-20331")), what="the rejection")


def test_slash_command_and_mentions_reach_the_app(page: httpx.Client) -> None:
    msg = wait_for(lambda: find_message(state(page), "ORD-20331"), what="the refund message")
    asked = page.post("/api/command", json={"user": FINANCE, "channel": "C0FINANCE", "command": "/approvals"})
    assert asked.json()["ok"]
    wait_for(
        lambda: any(
            "waiting for you" in e["text"] for e in state(page)["workspace"]["ephemerals"] if e["user"] == FINANCE
        ),
        what="the /approvals answer",
    )
    said = page.post(
        "/api/message",
        json={
            "user": "U0FINANCE2",
            "channel": "C0FINANCE",
            "thread_ts": msg["ts"],
            "text": "@Countersign approve <!channel>",
        },
    )
    assert said.json()["ok"]
    st = wait_for(
        lambda: (s := state(page)) and "Approved" in block_texts(find_message(s, "ORD-20331")) and s,
        what="approval by mention",
    )
    typed = [t for t in replies(st, msg) if "approve" in t and "UBOT" in t]
    assert typed
    assert "&lt;!channel&gt;" in typed[0]


def test_page_refuses_what_a_person_could_not_do(page: httpx.Client) -> None:
    msg = wait_for(lambda: find_message(state(page), "ORD-20331"), what="the refund message")
    assert page.post("/api/click", json={"user": "UNOBODY", **button(msg, "Approve")}).status_code == 400
    form = page.post("/api/click", content=b"user=U0FINANCE1", headers={"Content-Type": "text/plain"})
    assert form.status_code == 415
    missing = page.post(
        "/api/click", json={"user": FINANCE, "channel": "C0FINANCE", "ts": msg["ts"], "action_id": "cs_nope"}
    )
    assert missing.status_code == 400
    assert "visible" in missing.json()["error"]
    unknown = page.post("/api/command", json={"user": FINANCE, "channel": "C0FINANCE", "command": "/pay"})
    assert unknown.status_code == 400
    assert page.get("/", headers={"Host": "evil.example"}).status_code == 400


def test_an_unapproved_click_is_answered_privately(page: httpx.Client) -> None:
    msg = wait_for(lambda: find_message(state(page), "ORD-20331"), what="the refund message")
    assert page.post("/api/click", json={"user": "U0RILEY", **button(msg, "Approve")}).json()["ok"]
    wait_for(
        lambda: any(e["user"] == "U0RILEY" for e in state(page)["workspace"]["ephemerals"]),
        what="the refusal shown to Riley",
    )
    assert "Waiting for approval" in block_texts(find_message(state(page), "ORD-20331"))


def test_state_answers_not_modified_when_nothing_changed(page: httpx.Client) -> None:
    def unchanged() -> bool:
        etag = page.get("/api/state").headers["etag"]
        return page.get("/api/state", headers={"If-None-Match": etag}).status_code == 304

    wait_for(unchanged, what="a 304 once the demo has settled")
