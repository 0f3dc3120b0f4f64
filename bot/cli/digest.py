"""`countersign digest`: print the monthly digest in the terminal, or post it to Slack."""

from __future__ import annotations

import typer

from bot.cli.common import console, fail, services_or_exit, settings_or_exit
from bot.digest.period import Period
from bot.errors import CountersignError
from bot.flow.context import Services


def digest(
    month: str = typer.Option(None, "--month", "-m", help="The month, YYYY-MM (default: last month)."),
    workflow: str = typer.Option(None, "--workflow", "-w", help="One workflow (default: all)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print it here; post nothing, record nothing."),
) -> None:
    """Build the monthly maintenance digest; post it to each workflow's review channel unless --dry-run.

    A digest already posted (by the scheduler or an earlier run) is never posted again.

    Example: [bold]countersign digest --month 2026-10 --workflow support-replies --dry-run[/]
    """
    from bot.digest.terminal import print_report
    from bot.flow import digest as flow

    svc = services_or_exit(settings_or_exit())
    try:
        period = Period.parse(month) if month else Period.containing(svc.clock.now(), svc.settings.zone).previous()
        names = [svc.policies.workflow(workflow).name] if workflow else sorted(svc.policies.workflows)
    except CountersignError as exc:
        fail(exc.message, 2)
    if not dry_run and svc.publisher is None:
        fail(
            "Slack is not configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to post digests, "
            "or add --dry-run to print them here",
            2,
        )
    for name in names:
        if dry_run:
            print_report(console, flow.preview(svc, period=period, workflow=name))
        else:
            _post(svc, period, name)


def _post(svc: Services, period: Period, workflow: str) -> None:
    from bot.flow import digest as flow
    from bot.flow.ports import NotifyError

    try:
        posting = flow.run(svc, period=period, workflow=workflow)
    except (CountersignError, NotifyError) as exc:
        fail(f"{workflow}: {getattr(exc, 'message', str(exc))}")
    if posting.state == "posted":
        console.print(f"{workflow} {period.key}: posted to {posting.channel} (ts {posting.ts})")
    elif posting.state == "already_posted":
        console.print(f"{workflow} {period.key}: already posted to {posting.channel} (ts {posting.ts}); not again")
    else:
        console.print(f"{workflow} {period.key}: being posted right now by {posting.claimed_by}")
