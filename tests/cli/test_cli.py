"""The command line: agents, audit verify, migrate, help texts and one-line configuration errors."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from bot.cli import app
from bot.flow.agents import AgentIdentity
from bot.flow.intake import submit
from bot.flow.requests import ProposalRequest
from tests.factories import make_services, proposal, write_policies

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, db_url: str) -> dict[str, str]:
    return {"DATABASE_URL": db_url, "COUNTERSIGN_POLICIES": str(write_policies(tmp_path / "policies"))}


def test_agents_add_list_revoke(env: dict[str, str]) -> None:
    added = runner.invoke(app, ["agents", "add", "support-bot", "--scope", "payouts:send"], env=env)
    assert added.exit_code == 0, added.output
    token = added.output.strip().splitlines()[-1]
    assert token.startswith("cs_")
    assert len(token) > 30
    listed = runner.invoke(app, ["agents", "list"], env=env)
    assert "support-bot" in listed.output
    assert token not in listed.output
    assert runner.invoke(app, ["agents", "revoke", "support-bot"], env=env).exit_code == 0
    assert runner.invoke(app, ["agents", "revoke", "nobody"], env=env).exit_code == 1


def test_agents_add_refuses_unknown_workflow_and_duplicates(env: dict[str, str]) -> None:
    bad = runner.invoke(app, ["agents", "add", "x", "--scope", "payroll"], env=env)
    assert bad.exit_code == 1
    assert "unknown workflow in scope: payroll" in bad.output
    runner.invoke(app, ["agents", "add", "x", "--scope", "payouts"], env=env)
    again = runner.invoke(app, ["agents", "add", "x", "--scope", "payouts"], env=env)
    assert again.exit_code == 1
    assert "already exists" in again.output


def test_audit_verify_detects_tampering(env: dict[str, str]) -> None:
    runner.invoke(app, ["agents", "add", "a", "--scope", "payouts"], env=env)
    runner.invoke(app, ["agents", "add", "b", "--scope", "payouts"], env=env)
    ok = runner.invoke(app, ["audit", "verify"], env=env)
    assert ok.exit_code == 0
    assert "2 events verified" in ok.output
    from bot.store.db import make_engine

    engine = make_engine(env["DATABASE_URL"])
    with engine.begin() as conn:
        conn.execute(text("UPDATE auditevent SET reason = 'c' WHERE seq = 1"))
    engine.dispose()
    broken = runner.invoke(app, ["audit", "verify"], env=env)
    assert broken.exit_code == 1
    assert "event 1" in broken.output


def test_migrate_reports_revision(env: dict[str, str]) -> None:
    r = runner.invoke(app, ["migrate"], env=env)
    assert r.exit_code == 0
    assert "revision" in r.output


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("COUNTERSIGN_TIMEZONE", "Mars/Olympus", "COUNTERSIGN_TIMEZONE: unknown time zone"),
        ("DATABASE_URL", "mysql://db/x", "DATABASE_URL: must start with"),
        ("SLACK_BOT_TOKEN", "xoxb-123", "SLACK_SIGNING_SECRET is required"),
        ("COUNTERSIGN_SWEEP_SECONDS", "-1", "COUNTERSIGN_SWEEP_SECONDS:"),
    ],
)
def test_bad_configuration_is_one_clear_line(tmp_path: Path, name: str, value: str, expected: str) -> None:
    r = runner.invoke(app, ["migrate"], env={"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", name: value})
    assert r.exit_code == 2
    assert expected in r.output
    assert "Traceback" not in r.output
    assert len(r.output.strip().splitlines()) == 1


def test_invalid_policies_stop_start_up_with_file_and_line(tmp_path: Path) -> None:
    policies = write_policies(tmp_path / "p")
    (policies / "broken.yaml").write_text("workflow: broken\nowner: nobody\n")
    r = runner.invoke(
        app, ["migrate"], env={"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "COUNTERSIGN_POLICIES": str(policies)}
    )
    assert r.exit_code == 2
    assert "broken.yaml:2" in r.output


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["serve", "--help"],
        ["agents", "--help"],
        ["agents", "add", "--help"],
        ["audit", "--help"],
        ["policy", "--help"],
    ],
)
def test_help_is_useful(args: list[str]) -> None:
    r = runner.invoke(app, args)
    assert r.exit_code in (0, 2)
    assert "Usage" in r.output
    assert len(r.output) > 200


def test_connectors_list_shows_installed_and_missing_secrets(env: dict[str, str]) -> None:
    r = runner.invoke(app, ["connectors", "list"], env=env)
    assert r.exit_code == 1
    assert "missing env: PAYOUT_SECRET" in r.output
    assert all(name in r.output for name in ("webhook", "callback", "email", "crm", "slack_reply"))
    ok = runner.invoke(app, ["connectors", "list"], env={**env, "PAYOUT_SECRET": "s3cret"})
    assert ok.exit_code == 0


def test_token_alone_on_stdout_so_a_shell_can_capture_it(env: dict[str, str], tmp_path: Path) -> None:
    # The real console script in its own process: PAYOUT_SECRET is unset, so start-up warns about it.
    run = subprocess.run(
        [sys.executable, "-c", "from bot.cli import main; main()", "agents", "add", "bot", "--scope", "payouts"],
        env={"PATH": os.environ["PATH"], "COLUMNS": "200", **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert re.fullmatch(r"cs_[\w-]{30,}\n", run.stdout), run.stdout
    assert "connector secret not set" in run.stderr
    assert "PAYOUT_SECRET" in run.stderr
    assert "Agent bot created" in run.stderr


def test_audit_show_prints_a_trail_and_refuses_an_unknown_id(env: dict[str, str]) -> None:
    svc = make_services(env["DATABASE_URL"], Path(env["COUNTERSIGN_POLICIES"]))
    view, _ = submit(svc, agent=AgentIdentity("a", ("payouts",)), req=ProposalRequest.model_validate(proposal()))
    svc.engine.dispose()
    env = {**env, "PAYOUT_SECRET": "s3cret", "COLUMNS": "200"}
    shown = runner.invoke(app, ["audit", "show", view.id], env=env)
    assert shown.exit_code == 0, shown.output
    assert "→ pending" in shown.stdout
    unknown = runner.invoke(app, ["audit", "show", "nope"], env=env)
    assert unknown.exit_code == 1
    assert unknown.stdout == ""
    assert "no proposal with id 'nope'" in unknown.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["agents", "revoke", "nobody"], "no agent named 'nobody'"),
        (["digest", "--workflow", "nope", "--dry-run"], "nope"),
        (["shadow", "report", "--workflow", "nope"], "nope"),
    ],
)
def test_unknown_names_exit_non_zero_with_a_sentence(env: dict[str, str], args: list[str], expected: str) -> None:
    r = runner.invoke(app, args, env=env)
    assert r.exit_code != 0
    assert expected in r.stderr
    assert "Traceback" not in r.output
