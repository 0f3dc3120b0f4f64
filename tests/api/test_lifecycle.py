"""GET, wait, cancel, result, handoffs, and the operational endpoints."""

from __future__ import annotations

import threading
import time

from fastapi.testclient import TestClient

from bot.flow import decide
from bot.flow.context import Services
from tests.factories import add_agent, proposal, sweep


def _post(client: TestClient, auth: dict[str, str], **kw: object) -> dict:
    r = client.post("/api/v1/proposals", json=proposal(**kw), headers=auth)
    assert r.status_code == 201, r.text
    return r.json()


def test_get_shows_the_decision_and_execution_result(client: TestClient, auth: dict[str, str], svc: Services) -> None:
    p = _post(client, auth)
    decide.approve(svc, proposal_id=p["id"], user="U0ALICE")
    sweep(svc)
    got = client.get(f"/api/v1/proposals/{p['id']}", headers=auth).json()
    assert got["status"] == "approved"
    assert got["decided_by"] == "U0ALICE"
    assert got["decided_at"]
    assert got["execution"]["status"] == "succeeded"
    assert got["execution"]["result"]["summary"]
    assert got["approvals"][0]["user"] == "U0ALICE"


def test_other_agents_cannot_see_a_proposal(client: TestClient, auth: dict[str, str], svc: Services) -> None:
    p = _post(client, auth)
    other = {"Authorization": f"Bearer {add_agent(svc, 'other')}"}
    assert client.get(f"/api/v1/proposals/{p['id']}", headers=other).status_code == 404
    assert client.post(f"/api/v1/proposals/{p['id']}/cancel", headers=other).status_code == 404
    assert client.get("/api/v1/proposals/no-such-id", headers=auth).status_code == 404


def test_wait_returns_when_a_human_decides(client: TestClient, auth: dict[str, str], svc: Services) -> None:
    p = _post(client, auth)
    threading.Timer(0.3, lambda: decide.reject(svc, proposal_id=p["id"], user="U0BOB", reason="not today")).start()
    started = time.monotonic()
    got = client.get(f"/api/v1/proposals/{p['id']}/wait?timeout=20", headers=auth).json()
    assert got["status"] == "rejected"
    assert got["decision_reason"] == "not today"
    assert time.monotonic() - started < 15


def test_wait_times_out_with_the_pending_state(client: TestClient, auth: dict[str, str]) -> None:
    p = _post(client, auth)
    got = client.get(f"/api/v1/proposals/{p['id']}/wait?timeout=0.2", headers=auth)
    assert got.status_code == 200
    assert got.json()["status"] == "pending"
    assert client.get(f"/api/v1/proposals/{p['id']}/wait?timeout=-1", headers=auth).status_code == 422


def test_cancel_pending_then_409(client: TestClient, auth: dict[str, str]) -> None:
    p = _post(client, auth)
    r = client.post(f"/api/v1/proposals/{p['id']}/cancel", headers=auth)
    assert r.status_code == 200
    assert r.json()["status"] == "cancelled"
    again = client.post(f"/api/v1/proposals/{p['id']}/cancel", headers=auth)
    assert again.status_code == 409
    assert "cancelled" in again.json()["error"]


def test_callback_connector_awaits_the_agents_result(client: TestClient, auth: dict[str, str], svc: Services) -> None:
    p = _post(client, auth, action="note", payload={"text": "call the customer"})
    early = client.post(f"/api/v1/proposals/{p['id']}/result", json={"ok": True}, headers=auth)
    assert early.status_code == 409
    decide.approve(svc, proposal_id=p["id"], user="U0ALICE")
    assert client.get(f"/api/v1/proposals/{p['id']}", headers=auth).json()["execution"]["status"] == "skipped"
    r = client.post(f"/api/v1/proposals/{p['id']}/result", json={"ok": False, "error": "line busy"}, headers=auth)
    assert r.status_code == 200
    assert r.json()["execution"] == {**r.json()["execution"], "status": "failed", "error": "line busy"}
    assert client.post(f"/api/v1/proposals/{p['id']}/result", json={"ok": True}, headers=auth).status_code == 409


def test_handoff_is_pending_until_taken(client: TestClient, auth: dict[str, str], svc: Services) -> None:
    r = client.post(
        "/api/v1/handoffs",
        json={"workflow": "payouts", "summary": "Customer disputes a charge", "payload": {"ticket": 991}},
        headers=auth,
    )
    assert r.status_code == 201
    assert r.json()["kind"] == "handoff"
    assert r.json()["status"] == "pending"
    out = decide.take(svc, proposal_id=r.json()["id"], user="U0OWNER")
    assert out.proposal.status == "taken"
    assert out.proposal.decided_by == "U0OWNER"


def test_operational_endpoints(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["migrations"] == "ok"
    assert "countersign_http_request_seconds" in client.get("/metrics").text
    assert client.get("/openapi.json").json()["paths"]["/api/v1/proposals"]["post"]
    assert client.get("/docs").status_code == 200
