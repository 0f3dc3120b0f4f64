"""Every value the API and CLI accept fits its column on both databases; one past a limit is a clear 422."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import String, inspect
from sqlmodel import SQLModel
from typer.testing import CliRunner

from bot import limits
from bot.cli import app as cli
from bot.flow.context import Services
from bot.policy import PolicyFileError, load_policies
from tests.factories import PAYOUTS_POLICY, add_agent, proposal


def _url(length: int) -> str:
    base = "https://agent.example.com/cb?k="
    return base + "x" * (length - len(base))


def test_values_at_every_limit_are_stored_and_cancel_works(svc: Services, client: TestClient) -> None:
    name = "a" * limits.AGENT_NAME
    auth = {"Authorization": f"Bearer {add_agent(svc, name=name)}"}
    body = proposal(
        idempotency_key="k" * limits.IDEMPOTENCY_KEY,
        requested_by="r" * limits.REQUESTED_BY,
        callback_url=_url(limits.CALLBACK_URL),
    )
    created = client.post("/api/v1/proposals", json=body, headers=auth)
    assert created.status_code == 201, created.text
    cancelled = client.post(f"/api/v1/proposals/{created.json()['id']}/cancel", headers=auth)
    assert cancelled.status_code == 200, cancelled.text
    view = cancelled.json()
    assert view["decided_by"] == f"agent:{name}"
    assert view["idempotency_key"] == body["idempotency_key"]
    assert view["requested_by"] == body["requested_by"]
    assert view["receipt"]["body"]["deciders"] == [f"agent:{name}"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("idempotency_key", "k" * (limits.IDEMPOTENCY_KEY + 1), "at most 200 characters"),
        ("requested_by", "r" * (limits.REQUESTED_BY + 1), "at most 100 characters"),
        ("workflow", "w" * (limits.WORKFLOW_NAME + 1), "at most 100 characters"),
        ("action", "a" * (limits.ACTION_NAME + 1), "at most 100 characters"),
        ("callback_url", _url(limits.CALLBACK_URL + 1), "URL should have at most 2000 characters, not 2001"),
        ("callback_url", _url(2083), "URL should have at most 2000 characters, not 2083"),
    ],
)
def test_one_past_a_limit_is_refused_at_the_edge(
    client: TestClient, auth: dict[str, str], field: str, value: str, message: str
) -> None:
    r = client.post("/api/v1/proposals", json=proposal(**{field: value}), headers=auth)
    assert r.status_code == 422, r.text
    assert field in r.text
    assert message in r.text


def test_a_bare_callback_host_is_measured_as_stored(client: TestClient, auth: dict[str, str]) -> None:
    # "https://h" is stored as "https://h/": the check counts the stored form.
    bare = "https://" + "h" * (limits.CALLBACK_URL - len("https://"))
    r = client.post("/api/v1/proposals", json=proposal(callback_url=bare), headers=auth)
    assert r.status_code == 422, r.text


def test_the_cli_refuses_an_agent_name_over_the_limit(tmp_path: Path, db_url: str) -> None:
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "payouts.yaml").write_text(PAYOUTS_POLICY.format(webhook_url="http://127.0.0.1:9/", mode="live"))
    env = {"DATABASE_URL": db_url, "COUNTERSIGN_POLICIES": str(policies)}
    runner = CliRunner()
    long = runner.invoke(cli, ["agents", "add", "n" * (limits.AGENT_NAME + 1), "--scope", "payouts"], env=env)
    assert long.exit_code == 1
    assert "must be 1-100 letters, digits" in long.output
    fits = runner.invoke(cli, ["agents", "add", "n" * limits.AGENT_NAME, "--scope", "payouts"], env=env)
    assert fits.exit_code == 0, fits.output


def test_a_policy_cannot_name_a_workflow_no_request_could_use(tmp_path: Path) -> None:
    text = PAYOUTS_POLICY.format(webhook_url="http://127.0.0.1:9/", mode="live")
    (tmp_path / "p.yaml").write_text(text.replace("workflow: payouts", "workflow: " + "w" * 101))
    with pytest.raises(PolicyFileError, match="at most 100 characters"):
        load_policies(tmp_path)


def test_migrated_columns_are_as_wide_as_the_models_say(svc: Services) -> None:
    """The migrations and the models agree, so PostgreSQL enforces exactly the limits the edge checks."""
    inspector = inspect(svc.engine)
    for table in SQLModel.metadata.sorted_tables:
        stored = {c["name"]: c["type"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if isinstance(column.type, String) and column.type.length:
                assert getattr(stored[column.name], "length", None) == column.type.length, (table.name, column.name)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/proposals", b"{not json"),
        ("post", "/api/v1/proposals", b'{"workflow": 1}'),
        ("post", "/api/v1/handoffs", b"[]"),
        ("post", "/api/v1/proposals/x/result", b'{"ok": "maybe", "extra": 1}'),
        ("get", "/api/v1/proposals/x/wait?timeout=9999", None),
    ],
)
def test_a_bad_token_is_told_401_before_anything_about_the_body(
    client: TestClient, method: str, path: str, body: bytes | None
) -> None:
    headers = {"Content-Type": "application/json"}
    for auth in ({}, {"Authorization": "Bearer cs_not_a_token"}):
        r = client.request(method, path, content=body, headers={**headers, **auth})
        assert r.status_code == 401, r.text
        assert "loc" not in r.text


def test_a_good_token_with_a_malformed_body_gets_the_field_errors(client: TestClient, auth: dict[str, str]) -> None:
    r = client.post(
        "/api/v1/proposals", content=b'{"workflow": 1}', headers={**auth, "Content-Type": "application/json"}
    )
    assert r.status_code == 422
    assert "workflow" in r.text
