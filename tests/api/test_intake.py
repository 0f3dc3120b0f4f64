"""POST /api/v1/proposals: every status code of design §3, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from bot.flow.context import Services
from tests.factories import add_agent, proposal


def test_new_proposal_needing_approval_is_201_pending(client: TestClient, auth: dict[str, str]) -> None:
    r = client.post("/api/v1/proposals", json=proposal(), headers=auth)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "pending"
    assert body["route"] == "approve"
    assert body["execution"] == {"status": "none", "attempts": 0, "result": None, "error": None, "finished_at": None}
    assert body["payload"] == body["original_payload"] == proposal()["payload"]
    assert body["expires_at"] is not None
    assert body["problems"] == []
    assert body["approvals"] == []


def test_policy_routes_auto_and_deny(client: TestClient, auth: dict[str, str]) -> None:
    auto = client.post("/api/v1/proposals", json=proposal(payload={"to": "a@x.io", "amount": 5}), headers=auth)
    deny = client.post("/api/v1/proposals", json=proposal(payload={"to": "a@x.io", "amount": -5}), headers=auth)
    assert auto.status_code == deny.status_code == 201
    assert (auto.json()["status"], auto.json()["reason"], auto.json()["execution"]["status"]) == (
        "auto_approved",
        "small payout",
        "queued",
    )
    assert (deny.json()["status"], deny.json()["reason"]) == ("denied", "negative amount")


def test_quorum_override_from_rule(client: TestClient, auth: dict[str, str]) -> None:
    r = client.post("/api/v1/proposals", json=proposal(payload={"to": "a@x.io", "amount": 5000}), headers=auth)
    assert r.json()["required_approvals"] == 2
    assert r.json()["reason"] == "over 1000"


def test_idempotency_same_body_200_same_proposal_different_body_409(client: TestClient, auth: dict[str, str]) -> None:
    body = proposal(idempotency_key="order-77")
    first = client.post("/api/v1/proposals", json=body, headers=auth)
    again = client.post("/api/v1/proposals", json=body, headers=auth)
    changed = client.post("/api/v1/proposals", json={**body, "summary": "something else"}, headers=auth)
    assert (first.status_code, again.status_code, changed.status_code) == (201, 200, 409)
    assert again.json()["id"] == first.json()["id"]
    assert changed.json()["code"] == "Conflict"
    assert changed.json()["proposal_id"] == first.json()["id"]


def test_missing_bad_and_revoked_tokens_are_401(client: TestClient, svc: Services) -> None:
    from bot.flow import agents

    token = add_agent(svc, "to-revoke")
    assert client.post("/api/v1/proposals", json=proposal()).status_code == 401
    assert (
        client.post("/api/v1/proposals", json=proposal(), headers={"Authorization": "Bearer nope"}).status_code == 401
    )
    assert (
        client.post("/api/v1/proposals", json=proposal(), headers={"Authorization": f"Bearer {token}"}).status_code
        == 201
    )
    agents.revoke(svc, name="to-revoke")
    r = client.post("/api/v1/proposals", json=proposal(), headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
    assert "revoked" in r.json()["error"]


def test_scope_limits_workflow_and_action(client: TestClient, svc: Services) -> None:
    notes_only = {"Authorization": f"Bearer {add_agent(svc, 'notes', ('payouts:note',))}"}
    r = client.post("/api/v1/proposals", json=proposal(), headers=notes_only)
    assert r.status_code == 403
    assert "payouts:send" in r.json()["error"]
    ok = client.post("/api/v1/proposals", json=proposal(action="note", payload={"text": "hi"}), headers=notes_only)
    assert ok.status_code == 201


def test_unknown_workflow_or_action_is_404(client: TestClient, auth: dict[str, str]) -> None:
    assert client.post("/api/v1/proposals", json=proposal(workflow="nope"), headers=auth).status_code == 404
    r = client.post("/api/v1/proposals", json=proposal(action="launch"), headers=auth)
    assert r.status_code == 404
    assert "launch" in r.json()["error"]


def test_body_over_limit_is_413_and_not_json_is_415(client: TestClient, auth: dict[str, str]) -> None:
    huge = proposal(payload={"to": "a@x.io", "amount": 1, "memo": "x" * 300_000})
    assert client.post("/api/v1/proposals", json=huge, headers=auth).status_code == 413
    r = client.post("/api/v1/proposals", content="workflow=payouts", headers={**auth, "Content-Type": "text/plain"})
    assert r.status_code == 415
    assert r.json()["code"] == "UnsupportedMediaType"


def test_chunked_body_without_length_still_limited(client: TestClient, auth: dict[str, str]) -> None:
    def chunks():  # no Content-Length: the limit must hold while streaming
        yield b'{"workflow": "payouts", "summary": "'
        for _ in range(40):
            yield b"y" * 10_000
        yield b'"}'

    r = client.post("/api/v1/proposals", content=chunks(), headers={**auth, "Content-Type": "application/json"})
    assert r.status_code == 413


def test_invalid_shape_lists_every_field_error(client: TestClient, auth: dict[str, str]) -> None:
    body = {
        "workflow": "",
        "summary": 12,
        "links": [{"title": "x", "url": "not a url"}],
        "extra": 1,
        "thread": {"channel": "general", "ts": "yesterday"},
    }
    r = client.post("/api/v1/proposals", json=body, headers=auth)
    assert r.status_code == 422
    locs = {".".join(e["loc"]) for e in r.json()["errors"]}
    assert {"workflow", "summary", "action", "payload", "links.0.url", "extra", "thread.channel", "thread.ts"} <= locs


def test_broken_json_is_422_not_500(client: TestClient, auth: dict[str, str]) -> None:
    r = client.post("/api/v1/proposals", content=b'{"workflow": ', headers={**auth, "Content-Type": "application/json"})
    assert r.status_code == 422
    assert "Traceback" not in r.text


def test_schema_invalid_payload_is_accepted_and_flagged(client: TestClient, auth: dict[str, str]) -> None:
    r = client.post("/api/v1/proposals", json=proposal(payload={"amount": "5"}), headers=auth)
    assert r.status_code == 201
    body = r.json()
    paths = {p["path"] for p in body["problems"]}
    assert paths == {"amount", "to"}  # wrong type, and the missing required field named
    assert body["status"] == "pending", "problems must never be auto-approved"


def test_messy_payloads_are_stored_exactly(client: TestClient, auth: dict[str, str]) -> None:
    deep: dict = {"v": 1}
    for _ in range(60):
        deep = {"n": deep}
    messy = {
        "to": "\u202eevil\u202c@example.com",
        "amount": 50,
        "memo": "nul\x00byte and emoji 🧾",
        "none": None,
        "deep": deep,
        "big": 10**30,
        "list": [1, "2", None, {"x": []}],
    }
    r = client.post("/api/v1/proposals", json=proposal(payload=messy), headers=auth)
    assert r.status_code == 201, r.text
    got = client.get(f"/api/v1/proposals/{r.json()['id']}", headers=auth).json()
    assert got["payload"] == json.loads(json.dumps(messy))


def test_nul_in_summary_is_a_precise_422(client: TestClient, auth: dict[str, str]) -> None:
    r = client.post("/api/v1/proposals", json=proposal(summary="a\x00b"), headers=auth)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["summary"]
    assert "NUL" in r.json()["errors"][0]["msg"]


def test_possible_duplicate_is_flagged(client: TestClient, auth: dict[str, str]) -> None:
    first = client.post("/api/v1/proposals", json=proposal(), headers=auth).json()
    second = client.post("/api/v1/proposals", json=proposal(summary="same payment again"), headers=auth).json()
    assert first["duplicate_of"] is None
    assert second["duplicate_of"] == first["id"]
