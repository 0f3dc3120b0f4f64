"""Audit export: JSON Lines, CSV and OCSF from the CLI and the admin API, and offline checks of an export's chain."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bot.app import create_app
from bot.cli import app
from bot.clock import FakeClock
from bot.flow.agents import AgentIdentity
from bot.flow.context import Services
from bot.flow.intake import submit
from bot.flow.requests import ProposalRequest
from tests.factories import add_agent, make_services, proposal

runner = CliRunner()
ADMIN = "a" * 16 + "-admin-token-for-tests-" + "z" * 8


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 10, 31, 12, 0, tzinfo=UTC))


@pytest.fixture
def history(svc: Services, clock: FakeClock) -> Services:
    """Events on 31 October (agent created), 1 November (a proposal) and 2 November (another agent)."""
    add_agent(svc, "early-bot")
    clock.advance(days=1)
    agent = AgentIdentity("early-bot", ("payouts",))
    body = proposal(summary="Pay Zoë 120 € — October", payload={"to": "zoe@example.com", "amount": 120.5, "memo": ""})
    submit(svc, agent=agent, req=ProposalRequest(**body))
    clock.advance(days=1)
    add_agent(svc, "late-bot")
    return svc


@pytest.fixture
def env(history: Services) -> dict[str, str]:
    s = history.settings
    return {"DATABASE_URL": s.database_url, "COUNTERSIGN_POLICIES": str(s.policies_dir)}


def _export(env: dict[str, str], tmp_path: Path, *args: str) -> Path:
    out = tmp_path / "export.out"
    r = runner.invoke(app, ["audit", "export", *args, "--output", str(out)], env=env)
    assert r.exit_code == 0, r.output
    return out


def _verify(env: dict[str, str], path: Path) -> tuple[int, str]:
    r = runner.invoke(app, ["audit", "verify", "--file", str(path)], env={})  # offline: no database settings
    return r.exit_code, r.output


def test_full_export_verifies_offline_from_the_first_event(env: dict[str, str], tmp_path: Path) -> None:
    out = _export(env, tmp_path)
    lines = out.read_text(encoding="utf-8").splitlines()
    recs = [json.loads(line) for line in lines]
    assert [r["seq"] for r in recs] == list(range(1, len(recs) + 1))
    assert {"seq", "prev_hash", "hash", "at", "actor", "action", "data"} <= set(recs[0])
    assert recs[0]["action"] == "agent_created"
    assert any(r["action"] == "intake" for r in recs)
    code, output = _verify(env, out)
    assert code == 0, output
    assert f"{len(recs)} events verified (events 1 to {len(recs)})" in output
    assert "first event ever written" in output


def test_since_and_until_select_a_contiguous_stretch(env: dict[str, str], tmp_path: Path) -> None:
    out = _export(env, tmp_path, "--since", "2026-11-01", "--until", "2026-11-02")
    recs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert recs
    assert all(r["at"].startswith("2026-11-01") for r in recs)
    assert recs[0]["seq"] == 2
    code, output = _verify(env, out)
    assert code == 0, output
    assert f"Event 2 follows the event whose hash is {recs[0]['prev_hash']}" in output
    empty = _export(env, tmp_path, "--since", "2027-01-01")
    assert empty.read_text() == ""


def test_a_changed_or_removed_line_is_named(env: dict[str, str], tmp_path: Path) -> None:
    out = _export(env, tmp_path)
    lines = out.read_text(encoding="utf-8").splitlines()
    changed = json.loads(lines[1])
    changed["data"]["route"] = "auto"  # as if someone rewrote history: "it ran on its own"
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text("\n".join([lines[0], json.dumps(changed), *lines[2:]]) + "\n", encoding="utf-8")
    code, output = _verify(env, tampered)
    assert code == 1
    assert "event 2: content was changed after it was written" in output
    assert "export chain broken at 1 place" in output
    removed = tmp_path / "removed.jsonl"
    removed.write_text("\n".join([lines[0], *lines[2:]]) + "\n", encoding="utf-8")
    code, output = _verify(env, removed)
    assert code == 1
    assert "event 3: missing events 2..2" in output


def test_csv_has_the_chain_columns_and_is_refused_by_verify(env: dict[str, str], tmp_path: Path) -> None:
    out = _export(env, tmp_path, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    header = "seq,at,proposal_id,actor,action,before,after,reason,data,prev_hash,hash"
    assert list(rows[0]) == header.split(",")
    intake = next(r for r in rows if r["action"] == "intake")
    assert json.loads(intake["data"])["route"] == "approve"
    code, output = _verify(env, out)
    assert code == 1
    assert "CSV export, which cannot be checked" in output


def test_ocsf_is_api_activity_and_still_verifies(env: dict[str, str], tmp_path: Path) -> None:
    out = _export(env, tmp_path, "--format", "ocsf")
    events = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    first = events[0]
    assert (first["class_uid"], first["category_uid"], first["metadata"]["version"]) == (6003, 6, "1.3.0")
    assert (first["activity_id"], first["type_uid"]) == (1, 600301)  # agent_created: Create
    assert first["actor"]["user"]["uid"] == "cli"
    assert first["time"] == int(datetime(2026, 10, 31, 12, tzinfo=UTC).timestamp() * 1000)
    intake = next(e for e in events if e["api"]["operation"] == "intake")
    assert intake["actor"]["user"]["name"] == "early-bot"
    assert intake["resources"][0]["type"] == "proposal"
    code, output = _verify(env, out)
    assert code == 0, output


def test_bad_dates_and_files_get_clear_errors(env: dict[str, str], tmp_path: Path) -> None:
    r = runner.invoke(app, ["audit", "export", "--since", "November"], env=env)
    assert r.exit_code == 2
    assert "--since 'November' is not a date such as 2026-11-01" in r.output
    r = runner.invoke(app, ["audit", "export", "--since", "2026-11-02", "--until", "2026-11-01"], env=env)
    assert r.exit_code == 2
    assert "must be after --since" in r.output
    code, output = _verify(env, tmp_path / "nowhere.jsonl")
    assert code == 1
    assert "cannot read" in output
    junk = tmp_path / "junk.jsonl"
    junk.write_text('{"seq": 1}\n')
    code, output = _verify(env, junk)
    assert code == 1
    assert "line 1 has no at, proposal_id" in output


def test_api_export_needs_the_admin_token(history: Services, tmp_path: Path, clock: FakeClock) -> None:
    with TestClient(create_app(services=history, run_scheduler=False)) as c:
        off = c.get("/api/v1/audit/export", headers={"Authorization": f"Bearer {ADMIN}"})
    assert off.status_code == 403
    assert "set COUNTERSIGN_ADMIN_TOKEN" in off.json()["error"]

    svc = make_services(history.settings.database_url, history.settings.policies_dir, clock=clock, admin_token=ADMIN)
    agent_token = add_agent(svc, "third-bot")
    with TestClient(create_app(services=svc, run_scheduler=False)) as c:
        assert c.get("/api/v1/audit/export").status_code == 401
        as_agent = c.get("/api/v1/audit/export", headers={"Authorization": f"Bearer {agent_token}"})
        assert as_agent.status_code == 401
        assert "not the admin token" in as_agent.json()["error"]
        bad = c.get("/api/v1/audit/export?since=soon", headers={"Authorization": f"Bearer {ADMIN}"})
        assert bad.status_code == 400
        assert "since 'soon' is not a date" in bad.json()["error"]
        ok = c.get("/api/v1/audit/export?since=2026-11-01", headers={"Authorization": f"Bearer {ADMIN}"})
        ocsf = c.get("/api/v1/audit/export?format=ocsf", headers={"Authorization": f"Bearer {ADMIN}"})
    svc.engine.dispose()
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith("application/x-ndjson")
    recs = [json.loads(line) for line in ok.text.splitlines()]
    assert recs[0]["seq"] == 2
    assert recs[-1]["action"] == "agent_created"
    assert recs[-1]["reason"] == "third-bot"
    assert all(json.loads(line)["class_uid"] == 6003 for line in ocsf.text.splitlines())
    shipped = tmp_path / "shipped.jsonl"
    shipped.write_text(ok.text, encoding="utf-8")
    code, output = _verify({}, shipped)
    assert code == 0, output


def test_short_admin_token_is_refused_at_start_up(tmp_path: Path) -> None:
    r = runner.invoke(
        app, ["migrate"], env={"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "COUNTERSIGN_ADMIN_TOKEN": "secret"}
    )
    assert r.exit_code == 2
    assert "COUNTERSIGN_ADMIN_TOKEN: must be at least 32 characters" in r.output
