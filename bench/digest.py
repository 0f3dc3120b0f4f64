"""Monthly digest over a big SQLite database: 1,000,000 proposals over 12 months, digest one month.

Run: .venv/bin/python -m bench.digest [--rows 1000000] [--month 2026-09] [--keep PATH]
Quick: .venv/bin/python -m bench.digest --rows 100000
Target: the month's digest (every workflow: SQL aggregation, Block Kit, chart PNG) in under 3 s on SQLite.
Baselines measured in the same run over the same month: a bare `SELECT count(*)` range scan, and the naive
approach the digest avoids (load the month's rows into Python and count there).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.engine import Engine

from bench.digest_data import FIRST_DAY, fill
from bot.digest import chart, render
from bot.digest.period import Period
from bot.digest.report import DigestReport, build
from bot.policy import PolicySet, load_policies
from bot.store import migrate
from bot.store.db import make_engine

ROOT = Path(__file__).resolve().parents[1]
ZONE = ZoneInfo("Europe/Paris")


def digest_month(engine: Engine, policies: PolicySet, period: Period) -> list[DigestReport]:
    """What the monthly job does per workflow, minus the Slack calls."""
    reports = []
    for wf in policies.workflows.values():
        report = build(engine, wf, period, ZONE, datetime.now(UTC))
        render.digest_blocks(report)
        chart.daily_png(report)
        reports.append(report)
    return reports


def count_scan(engine: Engine, period: Period) -> int:
    """Baseline 1: one bare pass over the month's rows per workflow (the sum makes SQLite read every row,
    not just the (workflow, created_at) index)."""
    sql = text(
        "SELECT count(*), sum(decision_seconds) FROM proposal WHERE workflow = :w AND created_at >= :s "
        "AND created_at < :e"
    )
    with engine.connect() as conn:
        return sum(
            int(conn.execute(sql, _window(name, period)).first()[0])
            for name in ("support-replies", "refunds", "crm-updates")
        )


def naive(engine: Engine, period: Period) -> Counter[tuple[Any, ...]]:
    """Baseline 2: load every row of the month into Python and count there (what the digest must not do)."""
    seen: Counter[tuple[Any, ...]] = Counter()
    with engine.connect() as conn:
        for name in ("support-replies", "refunds", "crm-updates"):
            rows = (
                conn.execute(
                    text("SELECT * FROM proposal WHERE workflow = :w AND created_at >= :s AND created_at < :e"),
                    _window(name, period),
                )
                .mappings()
                .all()
            )
            for row in rows:
                seen[(row["route"], row["status"], row["edited"], row["execution_status"])] += 1
    return seen


def _window(workflow: str, period: Period) -> dict[str, str]:
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    return {"w": workflow, "s": period.start(ZONE).strftime(fmt), "e": period.end(ZONE).strftime(fmt)}


def timed(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    """Best of `repeat` wall-clock runs (the first also warms SQLite's page cache)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def peak_python_mb(fn: Callable[[], Any]) -> float:
    """Peak Python heap allocated while `fn` runs (tracemalloc; measured apart because it slows Python)."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def main() -> None:
    """Build (or reuse) the database, then time the digest against the baselines and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--month", default="2026-09", help=f"the month to digest (data covers {FIRST_DAY[:7]} + 12 months)"
    )
    parser.add_argument("--keep", type=Path, help="database file to create, or to reuse when it exists")
    args = parser.parse_args()
    run(args.rows, args.month, args.keep)


def run(rows: int = 1_000_000, month: str = "2026-09", keep: Path | None = None) -> list[dict[str, Any]]:
    """Build the database (in a temporary directory unless `keep`), digest `month`; print and return table rows."""
    workdir = None if keep else Path(tempfile.mkdtemp(prefix="cs-bench-"))
    path = keep or workdir / "digest.db"  # type: ignore[operator]
    engine = make_engine(f"sqlite:///{path}")
    try:
        if workdir or not path.exists() or path.stat().st_size == 0:
            migrate.upgrade(engine)
            started = time.perf_counter()
            fill(engine, rows)
            print(f"built {rows:,} proposals over 12 months in {time.perf_counter() - started:.1f} s ({path})")
        return report(engine, load_policies(ROOT / "policies"), Period.parse(month), rows)
    finally:
        engine.dispose()
        if workdir:  # a million rows are a few hundred megabytes: do not leave them in /tmp
            shutil.rmtree(workdir, ignore_errors=True)


def report(engine: Engine, policies: PolicySet, period: Period, rows: int) -> list[dict[str, Any]]:
    """Print the timings, memory and ratios; return the table rows."""
    import_start = time.perf_counter()
    import matplotlib.figure  # noqa: F401  (one-off import cost, paid once per process)

    import_s = time.perf_counter() - import_start
    scan_s, month_rows = timed(lambda: count_scan(engine, period))
    digest_s, reports = timed(lambda: digest_month(engine, policies, period))
    stats_s, _ = timed(
        lambda: [build(engine, wf, period, ZONE, datetime.now(UTC)) for wf in policies.workflows.values()]
    )
    peak = peak_python_mb(lambda: digest_month(engine, policies, period))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the naive baseline inflates it
    naive_s, _ = timed(lambda: naive(engine, period), repeat=1)
    naive_peak = peak_python_mb(lambda: naive(engine, period))
    print(f"month {period.key}: {month_rows:,} proposals in {len(reports)} workflows")
    print(
        f"digest (SQL + Block Kit + chart, all workflows): {digest_s:.3f} s   target < 3 s: "
        f"{'OK' if digest_s < 3 else 'MISSED'}"
    )
    print(f"  of which SQL aggregation (this month + last):  {stats_s:.3f} s")
    print(f"  matplotlib import (once per process, not in the figure above): {import_s:.3f} s")
    print(
        f"baseline: one bare pass over the month's rows:    {scan_s:.3f} s   digest/baseline = "
        f"{digest_s / scan_s:.1f}x (SQL part {stats_s / scan_s:.1f}x)"
    )
    print(
        f"naive load-rows-into-Python:                      {naive_s:.3f} s   naive/digest SQL = "
        f"{naive_s / stats_s:.1f}x; its peak Python memory {naive_peak:.0f} MiB"
    )
    print(f"peak Python memory during the digest: {peak:.1f} MiB; process max RSS {rss:.0f} MiB")
    return [
        {
            "benchmark": f"monthly digest, {rows:,} proposals (SQLite), one month = {month_rows:,}",
            "figure": f"{digest_s:.2f} s (SQL {stats_s:.2f} s); peak Python heap {peak:.0f} MiB",
            "baseline": f"bare scan {scan_s:.3f} s; naive load-into-Python {naive_s:.2f} s",
            "ratio": f"{digest_s / scan_s:.0f}x scan; SQL {stats_s / naive_s:.2f}x naive",
            "target": "< 3 s",
        }
    ]


if __name__ == "__main__":
    main()
