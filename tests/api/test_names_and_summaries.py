"""Workflow names with '_' work end to end; summaries are stripped, and a blank one is refused like an empty one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from tests.factories import PAYOUTS_POLICY, add_agent, make_services, proposal


@pytest.fixture
def underscored(db_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    policies = tmp_path / "policies"
    policies.mkdir()
    text = PAYOUTS_POLICY.format(webhook_url="http://127.0.0.1:9/hook", mode="live")
    (policies / "support_inbox.yaml").write_text(text.replace("workflow: payouts", "workflow: support_inbox"))
    svc = make_services(db_url, policies)
    auth = {"Authorization": f"Bearer {add_agent(svc, 'inbox-bot', ('support_inbox', 'support_inbox:send'))}"}
    with TestClient(create_app(services=svc, run_scheduler=False)) as c:
        yield c, auth
    svc.engine.dispose()


def test_workflow_named_with_underscore_starts_and_takes_proposals(
    underscored: tuple[TestClient, dict[str, str]],
) -> None:
    client, auth = underscored
    r = client.post("/api/v1/proposals", json=proposal(workflow="support_inbox"), headers=auth)
    assert r.status_code == 201, r.text
    assert r.json()["workflow"] == "support_inbox"
    assert client.get(f"/api/v1/proposals/{r.json()['id']}", headers=auth).json()["status"] == "pending"


HANDOFF = {"workflow": "payouts", "payload": {"ticket": 991}}


@pytest.mark.parametrize("summary", ["   ", "\n\t", " \u3000 "])
@pytest.mark.parametrize(("path", "body"), [("/api/v1/proposals", proposal()), ("/api/v1/handoffs", HANDOFF)])
def test_blank_summary_is_422_like_an_empty_one(
    client: TestClient, auth: dict[str, str], path: str, body: dict[str, object], summary: str
) -> None:
    empty = client.post(path, json={**body, "summary": ""}, headers=auth)
    blank = client.post(path, json={**body, "summary": summary}, headers=auth)
    assert (empty.status_code, blank.status_code) == (422, 422), blank.text
    assert blank.json()["error"] == empty.json()["error"] == "1 invalid field"
    assert blank.json()["errors"] == empty.json()["errors"]
    assert blank.json()["errors"][0]["loc"] == ["summary"]


def test_summary_is_stored_stripped(client: TestClient, auth: dict[str, str]) -> None:
    r = client.post("/api/v1/proposals", json=proposal(summary="\n  Pay Alice for October \t"), headers=auth)
    assert r.status_code == 201, r.text
    assert r.json()["summary"] == "Pay Alice for October"
    assert client.get(f"/api/v1/proposals/{r.json()['id']}", headers=auth).json()["summary"] == "Pay Alice for October"
