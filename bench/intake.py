"""Intake throughput: POST /api/v1/proposals (auto route and approval route) vs a bare FastAPI + same-DB insert.

Run:   .venv/bin/python -m bench.intake [--requests 2000] [--rounds 3] [--concurrency 16]
       .venv/bin/python -m bench.intake --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
Quick: .venv/bin/python -m bench.intake --requests 1000 --rounds 2

Both servers run as uvicorn child processes and stay up; the rounds interleave (baseline, auto route, approval
route, then again), so a load spike on the machine hits all three alike. Figures are the median round's req/s
and the percentiles of every measured request. Slack is not configured: the approval route queues its message
(the API never waits for Slack; posting is measured by bench.backlog).

Target: ratio >= 0.5 on SQLite (Countersign req/s divided by the baseline's). On PostgreSQL each run uses a
fresh schema (dropped afterwards) and the ratio is reported.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.harness import LoadResult, Served, bench_services, drive, load_average
from bot.flow import agents

POLICY = """
workflow: bench
owner: U0OWNER
review_channel: C0REVIEW
actions:
  log_note:
    connector: callback
    schema: {type: object, required: [text], properties: {text: {type: string}, n: {type: integer}}}
    approval: {channel: C0BENCH, approvers: {users: [U0ALICE]}}
    rules:
      - {when: "payload.n % 2 == 0", route: auto, reason: "even notes run on their own"}
"""
NAMES = ("baseline", "auto route", "approval route")


def _setup(workdir: Path, db_url: str) -> tuple[str, dict[str, str]]:
    policies = workdir / "policies"
    policies.mkdir(exist_ok=True)
    (policies / "bench.yaml").write_text(POLICY)
    svc = bench_services(db_url, policies)
    token = agents.create(svc, name="bench", scopes=["bench"])
    svc.engine.dispose()
    env = {"DATABASE_URL": db_url, "COUNTERSIGN_POLICIES": str(policies), "COUNTERSIGN_LOG_LEVEL": "WARNING"}
    return token, env


def _body(i: int, parity: int) -> dict[str, Any]:
    return {
        "workflow": "bench",
        "action": "log_note",
        "summary": f"note {i}",
        "idempotency_key": f"k-{parity}-{i}",
        "payload": {"text": "customer asked for a call back", "n": 2 * i + parity},
    }


@contextmanager
def pg_schema(url: str) -> Iterator[str]:
    """`url` with its search_path set to a brand-new schema, dropped afterwards."""
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def run(requests: int, concurrency: int, db_url: str | None, workdir: Path, rounds: int = 3) -> list[dict[str, Any]]:
    """Measure the baseline and both routes in interleaved rounds; print and return table rows."""
    if db_url:
        with pg_schema(db_url) as url:
            return _run(requests, concurrency, url, url, workdir, rounds, "PostgreSQL")
    return _run(
        requests,
        concurrency,
        f"sqlite:///{workdir}/countersign.db",
        f"sqlite:///{workdir}/baseline.db",
        workdir,
        rounds,
        "SQLite",
    )


def _run(
    requests: int, concurrency: int, cs_db: str, base_db: str, workdir: Path, rounds: int, label: str
) -> list[dict[str, Any]]:
    token, env = _setup(workdir, cs_db)
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    plain = {"Content-Type": "application/json"}
    results: dict[str, list[LoadResult]] = {name: [] for name in NAMES}
    base = Served("bench.baseline_app:create_app", {"BENCH_BASELINE_DB": base_db}, workdir / "baseline.log")
    try:
        app = Served("bot.app:create_app", env, workdir / "countersign.log")
        try:
            targets = {
                "baseline": (f"{base.url}/proposals", plain, 0),
                "auto route": (f"{app.url}/api/v1/proposals", auth, 0),
                "approval route": (f"{app.url}/api/v1/proposals", auth, 1),
            }
            for url, headers, parity in targets.values():  # warm-up: connections, caches, first imports
                drive(
                    url,
                    lambda i, p=parity, h=headers: (json.dumps(_body(10**7 + i, p)).encode(), h),
                    n=200,
                    concurrency=concurrency,
                )
            for r in range(rounds):
                for name, (url, headers, parity) in targets.items():
                    first = r * requests
                    results[name].append(
                        drive(
                            url,
                            lambda i, p=parity, h=headers, f=first: (json.dumps(_body(f + i, p)).encode(), h),
                            n=requests,
                            concurrency=concurrency,
                        )
                    )
        finally:
            app.close()
    finally:
        base.close()
    return report(results, label, rounds)


def report(results: dict[str, list[LoadResult]], label: str, rounds: int) -> list[dict[str, Any]]:
    """Median req/s per target over the rounds; latency percentiles over every request."""
    merged = {
        name: LoadResult(
            sum(r.requests for r in rs),
            sum(r.seconds for r in rs),
            [x for r in rs for x in r.latencies_ms],
            sum(r.errors for r in rs),
        )
        for name, rs in results.items()
    }
    rate = {name: statistics.median(r.rate for r in rs) for name, rs in results.items()}
    base = rate["baseline"]
    print(
        f"{label}, {rounds} interleaved rounds (median req/s; per-round req/s in brackets); load average "
        f"{load_average()}"
    )
    rows = []
    for name in NAMES:
        m = merged[name]
        per_round = ", ".join(f"{r.rate:.0f}" for r in results[name])
        ratio = rate[name] / base
        line = (
            f"  {('baseline FastAPI + insert' if name == 'baseline' else 'countersign ' + name):<28}"
            f"{rate[name]:7.0f} req/s [{per_round}]   p50 {m.pct(50):6.1f} ms   p99 {m.pct(99):6.1f} ms   "
            f"errors {m.errors}"
        )
        if name == "baseline":
            print(line)
            continue
        target = ">= 0.5" if label == "SQLite" else "(reported)"
        print(
            line
            + f"   ratio {ratio:.2f}"
            + (f" (target >= 0.5: {'OK' if ratio >= 0.5 else 'MISSED'})" if label == "SQLite" else "")
        )
        rows.append(
            {
                "benchmark": f"intake, {name} ({label})",
                "figure": f"{rate[name]:.0f} proposals/s, p50 {m.pct(50):.1f} ms, p99 {m.pct(99):.1f} ms"
                f"{'' if m.errors == 0 else f', {m.errors} errors'}",
                "baseline": f"{base:.0f} req/s (bare FastAPI insert)",
                "ratio": f"{ratio:.2f}",
                "target": target,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="per target and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--postgres", metavar="URL", help="run on this PostgreSQL database (in a fresh schema)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(args.requests, args.concurrency, args.postgres, Path(tmp), args.rounds)


if __name__ == "__main__":
    main()
