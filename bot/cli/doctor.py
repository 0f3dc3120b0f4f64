"""`countersign doctor`: check a real setup end to end and print each problem with its fix."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from bot.cli.common import console
from bot.config import Settings, load_settings
from bot.errors import CountersignError
from bot.policy import PolicyFileError, PolicySet, load_policies
from bot.words import plural

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

DEAD_FIXES = {
    "execute": "fix the cause, then press Retry (or Mark done by hand) on the proposal's Slack message",
    "callback": "the agent's callback_url kept failing: check that endpoint; the agent can still GET the proposal",
    "slack_post": "the approval message never reached Slack: fix the cause above (channel, scopes, token)",
    "slack_update": "a Slack message shows an outdated state: fix the cause above; the next change re-renders it",
    "slack_note": "a thread reply was not posted: fix the cause above",
}


@dataclass
class Report:
    """What doctor found: passed checks, problems (with fixes) and notes."""

    problems: int = 0

    def ok(self, what: str) -> None:
        """A check that passed."""
        console.print(f"[green]ok[/]       {what}", highlight=False)

    def problem(self, what: str, fix: str) -> None:
        """A problem and how to fix it (makes the exit status 1)."""
        self.problems += 1
        console.print(f"[red]problem[/]  {what}\n         [bold]fix:[/] {fix}", highlight=False)

    def note(self, what: str) -> None:
        """Something worth knowing that is not a problem."""
        console.print(f"[yellow]note[/]     {what}", highlight=False)


def doctor(
    manifest: Path = typer.Option(Path("manifest.yml"), help="Slack app manifest listing the bot scopes to expect."),
    dead_days: int = typer.Option(7, help="Report due work that gave up in the last N days (0: all)."),
) -> None:
    """Check settings, policies, database, Slack (token, scopes, channels, groups, users), connectors and failed work.

    Prints each problem with its fix; exits 1 if there is any. Example: [bold]countersign doctor[/]
    """
    report = Report()
    settings = _settings(report)
    if settings is None:
        raise typer.Exit(1)
    policies = _policies(report, settings)
    engine = _database(report, settings)
    if engine is not None:
        _dead_work(report, engine, dead_days)
        engine.dispose()
    if policies is not None:
        _connectors(report, policies)
    if settings.slack_enabled:
        from bot.cli.doctor_slack import check_slack

        check_slack(report, settings, policies, manifest)
    else:
        report.note("Slack is not configured (SLACK_BOT_TOKEN unset): approval messages wait until it is")
    if report.problems:
        console.print(f"\n[red]{plural(report.problems, 'problem')}[/]")
        raise typer.Exit(1)
    console.print("\n[green]all checks passed[/]")


def _settings(report: Report) -> Settings | None:
    try:
        settings = load_settings()
    except CountersignError as exc:
        report.problem(
            f"settings do not load: {exc.message}",
            "set the variable in the environment or in ./.env (README, Configuration); nothing else can be checked",
        )
        return None
    report.ok("settings load from the environment")
    return settings


def _policies(report: Report, settings: Settings) -> PolicySet | None:
    try:
        policies = load_policies(settings.policies_dir)
    except PolicyFileError as exc:
        first = str(exc).splitlines()[0] if str(exc) else "invalid"
        report.problem(
            f"policies in {settings.policies_dir} do not load ({first})",
            "run `countersign policy check` and fix each line it lists",
        )
        return None
    if not policies.workflows:
        report.problem(
            f"no workflow policies in {settings.policies_dir}",
            "point COUNTERSIGN_POLICIES at your policy folder, or copy one from policies/",
        )
        return None
    report.ok(f"{plural(len(policies.workflows), 'workflow')} load from {settings.policies_dir}")
    return policies


def _database(report: Report, settings: Settings) -> Engine | None:
    from sqlalchemy.engine import make_url

    from bot.store import migrate
    from bot.store.db import make_engine, ping

    shown = settings.database_url.split("@")[-1]  # never print a password
    path = make_url(settings.database_url).database if settings.database_url.startswith("sqlite") else None
    if path and path != ":memory:" and not Path(path).exists():  # connecting would create an empty file
        report.problem(
            f"database file {path} does not exist", "check DATABASE_URL, or run `countersign migrate` to create it"
        )
        return None
    try:
        engine = make_engine(settings.database_url)
        ping(engine)
    except Exception as exc:  # noqa: BLE001 - any driver error means the same thing to the operator
        report.problem(
            f"database {shown} is unreachable ({str(exc).splitlines()[0]})",
            "check DATABASE_URL and that the database server is running and accepts this user",
        )
        return None
    current, head = migrate.current_revision(engine), migrate.head_revision()
    if current != head:
        state = "empty" if current is None else f"at revision {current}"
        report.problem(
            f"database {shown} is {state}; this version needs {head}",
            "run `countersign migrate` (the service also migrates when it starts)",
        )
        engine.dispose()
        return None  # the remaining database checks need the current schema
    report.ok(f"database {shown} is reachable and migrated ({head})")
    return engine


def _dead_work(report: Report, engine: Engine, days: int) -> None:
    from bot.store import due
    from bot.store.db import read_scope

    since = datetime.now(UTC) - timedelta(days=days) if days > 0 else None
    with read_scope(engine) as s:
        items = due.dead(session=s, since=since)
    for item in items:
        about = f" for proposal {item.proposal_id}" if item.proposal_id else ""
        report.problem(
            f"{item.kind}{about} gave up after {plural(item.attempts, 'attempt')}: {item.last_error}",
            DEAD_FIXES.get(item.kind, "fix the cause in the error; the item will not be retried by itself"),
        )
    if not items:
        report.ok("no failed background work" + (f" in the last {days} days" if days > 0 else ""))


def _connectors(report: Report, policies: PolicySet) -> None:
    from connectors import registry

    bad = 0
    for wf in policies.workflows.values():
        for act in wf.actions.values():
            for name in registry.missing_secrets(act.connector_config, os.environ):
                bad += 1
                report.problem(
                    f"{wf.name}/{act.name}: the {act.connector_type} connector needs {name}, which is not set",
                    f"set {name} in the service's environment (a secret: not in the policy)",
                )
    if not bad:
        report.ok("every connector has its secrets")
