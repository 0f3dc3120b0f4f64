"""`countersign doctor` against a fake Slack and a real database: a healthy setup, then each problem on its own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.fakeslack import DEFAULT_SCOPES, FakeSlack
from bot.store import due, migrate
from bot.store.db import make_engine, session_scope
from tests.factories import WEBHOOK_SECRET, write_policies

runner = CliRunner()
SIGNING = "doctor-signing-secret"
USERS = {
    "U0ALICE": {"name": "alice"},
    "U0BOB": {"name": "bob"},
    "U0CAROL": {"name": "carol"},
    "U0OWNER": {"name": "owner"},
}
GROUPS = {"S0LEADS": ["U0ALICE", "U0BOB"]}
CHANNELS = {
    "C0PAYOUTS": {"name": "payouts", "members": ["UBOT", "U0ALICE"]},
    "C0REVIEW": {"name": "review", "members": ["UBOT"]},
}
MANIFEST = "oauth_config:\n  scopes:\n    bot: [chat:write, commands, usergroups:read]\n"


class Setup:
    """A complete setup (database, policies, manifest, Slack) that each test breaks in one place."""

    def __init__(self, tmp_path: Path, db_url: str) -> None:
        self.tmp = tmp_path
        self.db_url = db_url
        self.manifest = tmp_path / "manifest.yml"
        self.manifest.write_text(MANIFEST)
        self.slack: dict[str, Any] = {"users": USERS, "usergroups": GROUPS, "channels": CHANNELS}
        self.env = {
            "DATABASE_URL": db_url,
            "COUNTERSIGN_POLICIES": str(write_policies(tmp_path / "policies")),
            "SLACK_BOT_TOKEN": "xoxb-fake",
            "SLACK_SIGNING_SECRET": SIGNING,
            "PAYOUT_SECRET": WEBHOOK_SECRET,
        }
        engine = make_engine(db_url)
        migrate.upgrade(engine)
        engine.dispose()

    def run(self, *args: str) -> Result:
        """Run doctor against a FakeSlack built from `self.slack`."""
        with FakeSlack(SIGNING, **self.slack) as fake:
            env = {**self.env, "SLACK_API_URL": fake.api_url}
            result = runner.invoke(app, ["doctor", "--manifest", str(self.manifest), *args], env=env)
        if not isinstance(result.exception, SystemExit | None):
            raise result.exception  # a crash is never an acceptable doctor answer
        return result


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[Setup]:
    """Slack-side checks do not depend on the database kind: SQLite keeps them quick."""
    return Setup(tmp_path, f"sqlite:///{tmp_path}/doctor.db")


def problems(result: Result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("problem")]


def test_a_healthy_setup_passes(setup: Setup) -> None:
    result = setup.run()
    assert result.exit_code == 0, result.output
    assert "all checks passed" in result.output
    assert problems(result) == []
    for expected in (
        "settings load",
        "1 workflow load",
        "is reachable and migrated",
        "Slack token works",
        "every scope",
        "@countersign is in #payouts",
        "user group S0LEADS resolves to 2 members",
        "user U0OWNER is @owner",
        "every connector has its secrets",
        "no failed background work",
    ):
        assert expected in result.output


def test_settings_that_do_not_load_stop_everything(setup: Setup) -> None:
    del setup.env["SLACK_SIGNING_SECRET"]
    result = setup.run()
    assert result.exit_code == 1
    assert (
        "settings do not load: SLACK_SIGNING_SECRET is required when the other Slack credential is set" in result.output
    )
    assert "fix:" in result.output


def test_invalid_policies(setup: Setup) -> None:
    (Path(setup.env["COUNTERSIGN_POLICIES"]) / "broken.yaml").write_text("workflow: broken\nowner: nobody\n")
    result = setup.run()
    assert result.exit_code == 1
    assert "do not load" in result.output
    assert "run `countersign policy check`" in result.output


def test_database_reachable_unreachable_or_not_migrated(tmp_path: Path, db_url: str) -> None:
    setup = Setup(tmp_path, db_url)
    assert "is reachable and migrated" in setup.run().output
    setup.env["DATABASE_URL"] = "postgresql+psycopg://nobody:hunter2@127.0.0.1:1/none"
    down = setup.run()
    assert down.exit_code == 1
    assert "database 127.0.0.1:1/none is unreachable" in down.output
    assert "check DATABASE_URL" in down.output
    assert "hunter2" not in down.output
    setup.env["DATABASE_URL"] = f"sqlite:///{tmp_path}/none.db"
    missing = setup.run()
    assert "database file" in missing.output
    assert "none.db does not exist" in missing.output
    assert not (tmp_path / "none.db").exists()  # looking must not create it
    make_engine(f"sqlite:///{tmp_path}/empty.db").connect().close()
    setup.env["DATABASE_URL"] = f"sqlite:///{tmp_path}/empty.db"
    empty = setup.run()
    assert empty.exit_code == 1
    assert "is empty; this version needs" in empty.output
    assert "run `countersign migrate`" in empty.output


def test_dead_due_work_is_listed_with_its_last_error(tmp_path: Path, db_url: str) -> None:
    setup = Setup(tmp_path, db_url)
    engine = make_engine(db_url)
    now = datetime.now(UTC)
    with session_scope(engine) as s:
        due.enqueue(session=s, kind="slack_post", proposal_id="p-1", due_at=now, now=now)
    with session_scope(engine) as s:
        (item,) = due.claim(session=s, owner="me", now=now, lease=timedelta(minutes=1), limit=5)
        due.kill(session=s, item_id=item.id, owner="me", now=now, error="Slack said not_in_channel")
    engine.dispose()
    result = setup.run()
    assert result.exit_code == 1
    assert "slack_post for proposal p-1 gave up after 1 attempt: Slack said not_in_channel" in result.output
    assert "the approval message never reached Slack" in result.output


def test_a_token_slack_refuses(setup: Setup) -> None:
    setup.env["SLACK_BOT_TOKEN"] = "xoxb-revoked"
    result = setup.run()
    assert result.exit_code == 1
    assert "Slack refused SLACK_BOT_TOKEN: invalid_auth" in result.output
    assert "Bot User OAuth Token" in result.output


def test_scopes_missing_from_the_manifest(setup: Setup) -> None:
    setup.slack["scopes"] = [s for s in DEFAULT_SCOPES if s != "commands"]
    result = setup.run()
    assert result.exit_code == 1
    assert "the token lacks scopes from" in result.output
    assert "commands" in result.output
    assert "reinstall" in result.output


def test_bot_not_in_a_policy_channel_and_a_channel_that_does_not_exist(setup: Setup) -> None:
    setup.slack["channels"] = {"C0PAYOUTS": {"name": "payouts", "members": ["U0ALICE"]}}
    result = setup.run()
    assert result.exit_code == 1
    assert "@countersign is not in #payouts (C0PAYOUTS), used by payouts/send, payouts/note" in result.output
    assert "type `/invite @countersign` in #payouts" in result.output
    assert (
        "channel C0REVIEW (payouts (review channel), payouts handoffs) cannot be seen: channel_not_found"
        in result.output
    )


def test_unknown_or_empty_user_group(setup: Setup) -> None:
    setup.slack["usergroups"] = {}
    missing = setup.run()
    assert missing.exit_code == 1
    assert "user group S0LEADS" in missing.output
    assert "no_such_subteam" in missing.output
    setup.slack["usergroups"] = {"S0LEADS": []}
    empty = setup.run()
    assert "S0LEADS (payouts/send (approvers), payouts/send (escalation)) has no members" in empty.output


def test_unknown_and_deactivated_users(setup: Setup) -> None:
    setup.slack["users"] = {
        **{k: v for k, v in USERS.items() if k != "U0CAROL"},
        "U0BOB": {"name": "bob", "deleted": True},
    }
    result = setup.run()
    assert result.exit_code == 1
    assert len(problems(result)) == 2
    assert "user U0CAROL (payouts/send (approver)) cannot be found: user_not_found" in result.output
    assert "user U0BOB (bob, payouts/send (approver)) is deactivated" in result.output


def test_missing_connector_secret(setup: Setup) -> None:
    del setup.env["PAYOUT_SECRET"]
    result = setup.run()
    assert result.exit_code == 1
    assert "payouts/send: the webhook connector needs PAYOUT_SECRET, which is not set" in result.output


def test_checks_the_token_cannot_make_are_notes_not_problems(setup: Setup) -> None:
    setup.slack["scopes"] = [s for s in DEFAULT_SCOPES if s != "users:read"]
    result = setup.run()
    assert result.exit_code == 0, result.output
    assert "cannot check user U0OWNER: the token lacks users:read" in result.output


def test_without_slack_the_slack_checks_are_skipped(setup: Setup) -> None:
    del setup.env["SLACK_BOT_TOKEN"], setup.env["SLACK_SIGNING_SECRET"]
    result = setup.run()
    assert result.exit_code == 0
    assert "Slack is not configured" in result.output
