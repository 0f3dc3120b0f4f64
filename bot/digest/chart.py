"""The digest chart: proposals per day stacked by outcome, as PNG bytes (matplotlib, Agg, no pyplot).

matplotlib is imported inside the function: it costs tens of megabytes, and only the monthly digest needs it.
The Figure is built directly (not through pyplot), so no global state is shared between threads.
"""

from __future__ import annotations

import io
from typing import Any

from bot.digest.report import DigestReport

OUTCOMES = [  # stacking order and colours (colour-blind friendly)
    ("auto", "Auto-approved", "#56B4E9"),
    ("approved", "Approved", "#009E73"),
    ("edited", "Approved with edits", "#F0E442"),
    ("rejected", "Rejected", "#D55E00"),
    ("expired", "Expired", "#999999"),
    ("denied", "Denied by policy", "#CC79A7"),
    ("other", "Other", "#E0E0E0"),
]


def daily_png(report: DigestReport) -> bytes:
    """A stacked bar chart of the month's proposals per local day."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    days = report.current.daily or [{}]
    x = list(range(1, len(days) + 1))
    fig = Figure(figsize=(9, 3.6), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    bottom = _stack(ax, x, days)
    ax.set_title(f"{report.workflow}: proposals per day, {report.label}")
    ax.set_xlabel(f"day of month ({report.timezone})")
    ax.set_ylabel("proposals")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlim(0.4, len(days) + 0.6)
    ax.spines[["top", "right"]].set_visible(False)
    if any(bottom):
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize="small")
    else:
        ax.text(0.5, 0.5, "no proposals this month", transform=ax.transAxes, ha="center", va="center")
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def _stack(ax: Any, x: list[int], days: list[dict[str, int]]) -> list[int]:
    """Draw one bar layer per outcome; returns the day totals."""
    bottom = [0] * len(days)
    for key, label, colour in OUTCOMES:
        heights = [day.get(key, 0) for day in days]
        if any(heights):
            ax.bar(x, heights, bottom=bottom, label=label, color=colour, width=0.8)
            bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    return bottom


def alt_text(report: DigestReport) -> str:
    """A short description of the chart for screen readers (Slack allows 1000 characters)."""
    totals = {key: sum(day.get(key, 0) for day in report.current.daily) for key, _, _ in OUTCOMES}
    parts = [f"{label.lower()} {totals[key]:,}" for key, label, _ in OUTCOMES if totals[key]]
    busiest = max(range(len(report.current.daily)), key=lambda i: sum(report.current.daily[i].values()), default=None)
    peak = f"; busiest day {busiest + 1}" if busiest is not None and report.current.total else ""
    return f"Proposals per day in {report.label} for {report.workflow}: {', '.join(parts) or 'none'}{peak}."[:1000]
