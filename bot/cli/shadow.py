"""`countersign shadow report`: how often people agree with a shadow-mode agent, and whether it could go live."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import typer

from bot.cli.common import console, fail, services_or_exit, settings_or_exit
from bot.cli.helptext import Command, Group
from bot.digest.figures import Stats
from bot.digest.period import Period
from bot.errors import CountersignError

app = typer.Typer(
    cls=Group,
    help="Shadow mode: agreement between the agent and people.\n\n"
    "Example: [bold]countersign shadow report --workflow crm-updates[/]",
    no_args_is_help=True,
)
BEGINNING = datetime(2000, 1, 1, tzinfo=UTC)


@app.command("report", cls=Command)
def report(
    workflow: str = typer.Option(..., "--workflow", "-w", help="The workflow (normally one with mode: shadow)."),
    month: str = typer.Option(None, "--month", "-m", help="Only this month, YYYY-MM."),
    since: str = typer.Option(None, "--since", help="Only proposals from this day on, YYYY-MM-DD."),
) -> None:
    """Agreement so far on shadow-mode proposals (would approve unedited / with edits / reject / let expire),
    and whether each success criterion would be met if the workflow went live.

    Example: [bold]countersign shadow report --workflow crm-updates --since 2026-10-01[/]
    """
    from bot.digest.criteria import judge
    from bot.digest.report import window
    from bot.digest.terminal import criteria_table, shadow_table

    svc = services_or_exit(settings_or_exit())
    try:
        wf = svc.policies.workflow(workflow)
        start, end, label = _window(month, since, svc.settings.zone, svc.clock.now())
    except CountersignError as exc:
        fail(exc.message, 2)
    stats = window(svc.engine, wf, start=start, end=end, mode="shadow")
    console.rule(f"[bold]{wf.name}[/] · shadow mode · {label}")
    if wf.mode != "shadow":
        console.print(f"[yellow]{wf.name} is live now[/]: showing only the proposals it received in shadow mode.")
    if stats.total == 0:
        console.print("No shadow-mode proposals in this window yet.")
        return
    console.print(_summary(stats), highlight=False)
    console.print(shadow_table(stats))
    console.print(criteria_table(judge(wf.success_criteria, stats, shadow=True), title="If it went live"))


def _summary(stats: Stats) -> str:
    from bot.digest import formatting

    return (
        f"{stats.total:,} proposals: {stats.by_route.get('auto', 0):,} the policy would auto-approve, "
        f"{stats.human_routed:,} sent to people, {stats.by_route.get('deny', 0):,} denied; "
        f"time to decision p50 {formatting.minutes(stats.metric('p50_minutes_to_decision'))}."
    )


def _window(month: str | None, since: str | None, zone: ZoneInfo, now: datetime) -> tuple[datetime, datetime, str]:
    """(start, end, label) from --month or --since; by default everything so far."""
    if month and since:
        raise CountersignError("give --month or --since, not both")
    if month:
        period = Period.parse(month)
        return period.start(zone), period.end(zone), period.label
    if since:
        try:
            day = date.fromisoformat(since)
        except ValueError:
            raise CountersignError(f"--since must look like 2026-10-01, got {since!r}") from None
        return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC), now, f"since {day}"
    return BEGINNING, now, "so far"
