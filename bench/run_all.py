"""Every benchmark at a size that runs in under 10 minutes, as one markdown table (bench/results/latest.md).

Run: bench/run_all            (or .venv/bin/python -m bench.run_all [--only NAME ...] [--no-postgres])

Sizes here: intake 2,000 requests x 3 rounds per target; click path 500 clicks per measurement; Slack backlog
2,500 messages (the --quick size; full size is 10,000); digest at full size (1,000,000 proposals); idle memory.
PostgreSQL (COUNTERSIGN_BENCH_PG_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test) is used in a
fresh schema, dropped afterwards. Every figure comes with its baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import backlog, click, digest, intake, memory, waits
from bench.harness import ROOT, load_average, machine, markdown_table

PG_URL = os.environ.get("COUNTERSIGN_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
RESULTS = ROOT / "bench" / "results" / "latest.md"
PY = ".venv/bin/python -m"
Step = tuple[str, str, Callable[[Path], list[dict[str, Any]]]]
STEPS: list[Step] = [
    ("intake", f"{PY} bench.intake --requests 2000 --rounds 3", lambda wd: intake.run(2000, 16, None, wd, 3)),
    (
        "intake-pg",
        f"{PY} bench.intake --requests 2000 --rounds 3 --postgres $PG_URL",
        lambda wd: intake.run(2000, 16, PG_URL, wd, 3),
    ),
    ("click", f"{PY} bench.click --clicks 500 --rate 20 --concurrency 4", lambda wd: click.run(500, 20.0, 4, wd)),
    ("waits", f"{PY} bench.waits --waiters 2000", lambda wd: waits.run(2000, 400, 20.0, 1000, wd)),
    ("backlog", f"{PY} bench.backlog --quick", lambda wd: backlog.run(2500, 50, wd)),
    ("digest", f"{PY} bench.digest", lambda wd: digest.run(1_000_000, "2026-09")),
    ("memory", f"{PY} bench.memory", lambda wd: memory.run(wd)),
]
FULL_SIZE = [
    f"{PY} bench.backlog                 # 10,000 messages over 50 channels (~4 minutes)",
    f"{PY} bench.intake --requests 5000  # longer rounds",
    f"{PY} bench.click --clicks 2000",
]


def commit() -> str:
    """The checked-out commit, marked when the tree has uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        return head + (" + uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=[s[0] for s in STEPS], help="run only these benchmarks")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL intake run")
    args = parser.parse_args()
    steps = [
        s for s in STEPS if (not args.only or s[0] in args.only) and not (args.no_postgres and s[0] == "intake-pg")
    ]
    started, load_before = time.monotonic(), load_average()
    rows: list[dict[str, Any]] = []
    for name, command, fn in steps:
        print(f"\n=== {name}: {command}", flush=True)
        step_start = time.monotonic()
        try:
            with tempfile.TemporaryDirectory(prefix=f"cs-bench-{name}-") as tmp:
                got = fn(Path(tmp))
        except Exception as exc:  # noqa: BLE001 - one broken benchmark must not hide the others' figures
            traceback.print_exc()
            got = [
                {
                    "benchmark": name,
                    "figure": f"FAILED: {type(exc).__name__}: {exc}"[:200],
                    "baseline": "",
                    "ratio": "",
                    "target": "",
                }
            ]
        for row in got:
            row["command"] = f"`{command}`"
        rows += got
        print(f"=== {name} took {time.monotonic() - step_start:.0f} s", flush=True)
    took = time.monotonic() - started
    text = render(rows, took, load_before)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(text)
    print("\n" + text)
    print(f"(written to {RESULTS.relative_to(ROOT)})")


def render(rows: list[dict[str, Any]], took: float, load_before: str) -> str:
    """The markdown report: when, where, the table, how to run the full sizes."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Countersign benchmarks",
        "",
        f"Measured {when} on {machine()}; commit {commit()}.",
        f"`bench/run_all` took {took / 60:.1f} minutes; 1-minute load average {load_before} before, "
        f"{load_average()} after (other work on the machine shows up in every figure).",
        "",
        markdown_table(rows),
        "",
        "Full-size runs (not part of run_all):",
        "",
        *[f"    {c}" for c in FULL_SIZE],
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
