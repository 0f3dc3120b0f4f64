"""The chart is a real PNG, and matplotlib is only loaded when a chart is drawn."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

from bot.digest.chart import alt_text, daily_png
from bot.digest.figures import Stats
from tests.digest.test_render import report

T = datetime(2026, 10, 1, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n"


def test_daily_chart_is_a_png_with_an_alt_text() -> None:
    days = [{} for _ in range(31)]
    days[4] = {"auto": 3, "approved": 5, "rejected": 1}
    days[11] = {"edited": 2, "expired": 1}
    r = report(Stats(start=T, end=T, total=12, daily=days))
    png = daily_png(r)
    assert png.startswith(PNG)
    assert len(png) > 5000
    assert alt_text(r) == (
        "Proposals per day in October 2026 for support-replies: auto-approved 3, approved 5, "
        "approved with edits 2, rejected 1, expired 1; busiest day 5."
    )


def test_empty_month_still_draws() -> None:
    r = report(Stats(start=T, end=T, daily=[{} for _ in range(30)]))
    assert daily_png(r).startswith(PNG)
    assert alt_text(r) == "Proposals per day in October 2026 for support-replies: none."


def test_matplotlib_is_not_loaded_by_the_service_until_a_chart_is_drawn() -> None:
    code = (
        "import sys, bot.app, bot.flow.digest, bot.flow.digest_work, bot.scheduler.runner, bot.digest.chart;"
        "print('matplotlib' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
