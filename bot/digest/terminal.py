"""The digest and the shadow report in a terminal (rich): the same figures as the Slack message."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from bot.digest import formatting
from bot.digest.criteria import Judgement
from bot.digest.figures import Ranked, Stats
from bot.digest.report import DigestReport

DECISIONS = [
    ("approval_rate", "Approved"),
    ("unedited_approval_rate", "  unedited"),
    ("edit_rate", "  with edits"),
    ("rejection_rate", "Rejected"),
    ("expiry_rate", "Expired"),
    ("cancel_rate", "Cancelled"),
]
SPEED = [
    ("p50_minutes_to_decision", "Time to decision p50"),
    ("p90_minutes_to_decision", "Time to decision p90"),
    ("escalation_rate", "Escalation rate"),
    ("execution_failure_rate", "Execution failure rate"),
]


def print_report(console: Console, r: DigestReport) -> None:
    """The whole digest as panels and tables."""
    mode = "  [bold magenta]SHADOW[/]" if r.mode == "shadow" else ""
    console.rule(f"[bold]{r.workflow}[/] · {r.label}{mode}")
    console.print(
        f"owner {r.owner} · review channel {r.review_channel} · zone {r.timezone} · "
        f"{r.current.total:,} proposals ({formatting.count_delta(r.current.total, r.previous.total)} vs last month)",
        highlight=False,
    )
    if r.is_empty:
        console.print("[yellow]No proposals this month.[/]")
    else:
        console.print(_figures(r.current, r.previous))
        for title, items in (
            ("Top execution errors", r.current.top_errors),
            ("Top rejection reasons", r.current.top_reasons),
        ):
            if items:
                console.print(_ranked(title, items))
        if r.current.shadow_decided or r.current.shadow_expired:
            console.print(shadow_table(r.current))
    console.print(criteria_table(r.criteria))
    if r.suggestions:  # plain lines: a panel would crop long suggestions on a soft-wrapping console
        console.print("[bold]Suggestions[/]")
        for s in r.suggestions:
            console.print(Text(f"• {s.text}"))


def _figures(cur: Stats, prev: Stats) -> Table:
    table = Table("figure", "this month", "last month", "change", title="Figures")
    for route, label in (("auto", "Auto-approved"), ("approve", "Sent to people"), ("deny", "Denied by policy")):
        now, before = cur.by_route.get(route, 0), prev.by_route.get(route, 0)
        table.add_row(label, f"{now:,}", f"{before:,}", formatting.count_delta(now, before))
    table.add_row(
        "Closed by people", f"{cur.closed:,}", f"{prev.closed:,}", formatting.count_delta(cur.closed, prev.closed)
    )
    for metric, label in DECISIONS + SPEED:
        now_v, before_v = cur.metric(metric), prev.metric(metric)
        table.add_row(
            label,
            formatting.metric_value(metric, now_v),
            formatting.metric_value(metric, before_v),
            formatting.delta(metric, now_v, before_v),
        )
    table.add_row(
        "Escalations",
        f"{cur.escalations:,}",
        f"{prev.escalations:,}",
        formatting.count_delta(cur.escalations, prev.escalations),
    )
    table.add_row(
        "Execution failures",
        f"{cur.exec_failed:,}",
        f"{prev.exec_failed:,}",
        formatting.count_delta(cur.exec_failed, prev.exec_failed),
    )
    return table


def _ranked(title: str, items: list[Ranked]) -> Table:
    table = Table("#", "text", "times", title=title)
    for i, item in enumerate(items, 1):
        table.add_row(str(i), Text(" ".join(item.text.split())), f"{item.count:,}")
    return table


def shadow_table(s: Stats) -> Table:
    """Would-approve unedited / with edits / reject / expired, and the agreement rate."""
    table = Table("people would have", "count", "share", title="Shadow agreement")
    decided = s.shadow_decided + s.shadow_expired
    for label, n in (
        ("approved unedited (agree)", s.shadow_agree),
        ("approved with edits", s.shadow_edited),
        ("rejected", s.shadow_rejected),
        ("let it expire", s.shadow_expired),
    ):
        table.add_row(label, f"{n:,}", formatting.percent(n / decided if decided else None))
    table.add_row(
        "[bold]agreement[/]",
        f"{s.shadow_agree:,} of {s.shadow_decided:,}",
        f"[bold]{formatting.percent(s.metric('shadow_agreement_rate'))}[/]",
    )
    return table


def criteria_table(judgements: list[Judgement], title: str = "Success criteria") -> Table | Text:
    """Each criterion: ✅/❌/➖ with the figure and the target."""
    if not judgements:
        return Text("No success criteria set in the policy.")
    table = Table("", "metric", "figure", "target", title=title)
    for j in judgements:
        value = formatting.metric_value(j.metric, j.value) if j.value is not None else "no data"
        table.add_row(j.mark, formatting.label(j.metric), value, formatting.target(j.metric, j.op, j.target))
    return table
