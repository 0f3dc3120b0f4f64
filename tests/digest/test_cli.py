"""`countersign digest` and `countersign shadow report` in a terminal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.fakeslack import FakeSlack
from tests.digest.rows import insert, row
from tests.factories import make_services, write_policies

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()
OCT = datetime(2026, 10, 14, 12, tzinfo=UTC)


@pytest.fixture
def env(tmp_path: Path, db_url: str) -> dict[str, str]:
    policies = write_policies(tmp_path / "policies")
    svc = make_services(db_url, policies)
    insert(
        svc,
        row(at=OCT, minutes=10),
        row(at=OCT, minutes=20),
        row(at=OCT, minutes=40, edited=True),
        row(at=OCT, status="rejected", minutes=90, decision_reason="Wrong IBAN"),
        row(
            at=OCT,
            status="auto_approved",
            route="auto",
            rule_index=2,
            minutes=0,
            execution_status="failed",
            execution_error="HTTP 503 from the bank",
        ),
        row(at=datetime(2026, 9, 14, tzinfo=UTC), minutes=30),
    )
    svc.engine.dispose()
    return {"DATABASE_URL": db_url, "COUNTERSIGN_POLICIES": str(policies), "COUNTERSIGN_TIMEZONE": "Europe/Paris"}


def test_dry_run_prints_the_figures(env: dict[str, str]) -> None:
    out = runner.invoke(
        app, ["digest", "--month", "2026-10", "--workflow", "payouts", "--dry-run"], env=env, terminal_width=160
    )
    assert out.exit_code == 0, out.output
    for shown in (
        "payouts · October 2026",
        "5 proposals (▲ 4 vs last month)",
        "Approved",
        "75%",
        "Rejected",
        "25%",
        "Time to decision p50",
        "20 min",
        "Time to decision p90",
        "1.5 h",
        "▲ 60 min",
        "HTTP 503 from the bank",
        "Wrong IBAN",
        "rule 0 of `send` (negative amount) never matched",
        "rule 1 of `send` (over 1000) never matched this month in 5 proposals: still needed?",
    ):
        assert shown in out.output, shown


def test_posting_needs_slack_and_says_how_to_configure_it(env: dict[str, str]) -> None:
    out = runner.invoke(app, ["digest", "--month", "2026-10"], env=env)
    assert out.exit_code == 2
    assert "Slack is not configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET" in out.output
    assert "--dry-run" in out.output


def test_posting_through_slack_happens_once(env: dict[str, str], slack: FakeSlack) -> None:
    env = {**env, "SLACK_BOT_TOKEN": "xoxb-fake", "SLACK_SIGNING_SECRET": "s3cret", "SLACK_API_URL": slack.api_url}
    first = runner.invoke(app, ["digest", "--month", "2026-10", "--workflow", "payouts"], env=env)
    again = runner.invoke(app, ["digest", "--month", "2026-10", "--workflow", "payouts"], env=env)
    assert first.exit_code == again.exit_code == 0, first.output + again.output
    [msg] = slack.messages("C0REVIEW")
    assert f"payouts 2026-10: posted to C0REVIEW (ts {msg.ts})" in first.output
    assert "already posted" in again.output
    assert len(slack.files("C0REVIEW")) == 1


def test_bad_arguments_are_one_clear_line(env: dict[str, str]) -> None:
    bad_month = runner.invoke(app, ["digest", "--month", "October", "--dry-run"], env=env)
    assert bad_month.exit_code == 2
    assert "month must look like 2026-10" in bad_month.output
    unknown = runner.invoke(app, ["digest", "--workflow", "payroll", "--dry-run"], env=env)
    assert unknown.exit_code == 2
    assert "unknown workflow 'payroll'" in unknown.output


def test_shadow_report_on_the_shipped_crm_workflow(db_url: str) -> None:
    env = {"DATABASE_URL": db_url, "COUNTERSIGN_POLICIES": str(ROOT / "policies")}
    svc = make_services(db_url, ROOT / "policies")
    recent = datetime.now(UTC) - timedelta(days=3)
    shadow = {"workflow": "crm-updates", "action": "upsert_contact", "mode": "shadow", "execution_status": "skipped"}
    insert(
        svc,
        *[row(at=recent, minutes=30, **shadow) for _ in range(18)],
        row(at=recent, minutes=45, edited=True, **shadow),
        row(at=recent, status="rejected", minutes=200, decision_reason="downgrade", **shadow),
        row(at=recent, status="expired", minutes=2880, **shadow),
        row(at=recent, status="auto_approved", route="auto", rule_index=2, minutes=0, **shadow),
    )
    svc.engine.dispose()
    out = runner.invoke(app, ["shadow", "report", "--workflow", "crm-updates"], env=env, terminal_width=160)
    assert out.exit_code == 0, out.output
    for shown in (
        "crm-updates · shadow mode · so far",
        "22 proposals: 1 the policy would auto-approve, 21 sent to people",
        "approved unedited (agree)",
        "18",
        "agreement",
        "18 of 20",
        "90%",
        "let it expire",
        "If it went live",
        "❌",
        "shadow agreement rate",
        "≥ 95%",
        "✅",
        "p50 minutes to decision",
        "30 min",
    ):
        assert shown in out.output, shown
    month = runner.invoke(app, ["shadow", "report", "--workflow", "crm-updates", "--month", "2020-01"], env=env)
    assert month.exit_code == 0
    assert "No shadow-mode proposals in this window yet." in month.output
    both = runner.invoke(
        app, ["shadow", "report", "-w", "crm-updates", "--month", "2026-10", "--since", "2026-10-01"], env=env
    )
    assert both.exit_code == 2
    assert "give --month or --since, not both" in both.output
