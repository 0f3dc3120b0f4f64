"""Intake throughput: POST /api/v1/proposals (auto route and approval route) vs a bare FastAPI + same-DB insert.

Run: .venv/bin/python -m bench.intake [--requests 2000] [--concurrency 16] [--postgres URL]
Target: ratio >= 0.5 on SQLite (Countersign req/s divided by the baseline's, measured in the same run).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from bench.harness import Served, drive
from bot.config import Settings
from bot.flow import agents
from tests.factories import make_services

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


def _setup(workdir: Path, db_url: str) -> tuple[str, dict[str, str]]:
    policies = workdir / "policies"
    policies.mkdir()
    (policies / "bench.yaml").write_text(POLICY)
    svc = make_services(db_url, policies)
    token = agents.create(svc, name="bench", scopes=["bench"])
    svc.engine.dispose()
    Settings(_env_file=None, database_url=db_url)  # fail early on a bad URL
    env = {"DATABASE_URL": db_url, "COUNTERSIGN_POLICIES": str(policies), "COUNTERSIGN_LOG_LEVEL": "WARNING"}
    return token, env


def _body(i: int, parity: int) -> dict[str, Any]:
    return {"workflow": "bench", "action": "log_note", "summary": f"note {i}", "idempotency_key": f"k-{parity}-{i}",
            "payload": {"text": "customer asked for a call back", "n": 2 * i + parity}}


def run(requests: int, concurrency: int, db_url: str | None, workdir: Path) -> list[dict[str, Any]]:
    """Measure the three endpoints; return table rows."""
    cs_db = db_url or f"sqlite:///{workdir}/countersign.db"
    base_db = db_url or f"sqlite:///{workdir}/baseline.db"
    token, env = _setup(workdir, cs_db)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    json_headers = {"Content-Type": "application/json"}
    rows = []
    base = Served("bench.baseline_app:create_app", {"BENCH_BASELINE_DB": base_db}, workdir / "baseline.log")
    try:
        drive(f"{base.url}/proposals", lambda i: (json.dumps(_body(i, 9)).encode(), json_headers), n=200,
              concurrency=concurrency)
        baseline = drive(f"{base.url}/proposals", lambda i: (json.dumps(_body(i, 0)).encode(), json_headers),
                         n=requests, concurrency=concurrency)
    finally:
        base.close()
    print(baseline.line("baseline FastAPI + insert"))
    app = Served("bot.app:create_app", env, workdir / "countersign.log")
    try:
        url = f"{app.url}/api/v1/proposals"
        drive(url, lambda i: (json.dumps(_body(i + 10**6, 0)).encode(), headers), n=200, concurrency=concurrency)
        for name, parity in (("auto route", 0), ("approval route", 1)):
            res = drive(url, lambda i, p=parity: (json.dumps(_body(i, p)).encode(), headers), n=requests,
                        concurrency=concurrency)
            ratio = res.rate / baseline.rate
            print(res.line(f"countersign {name}") + f"   ratio {ratio:.2f}")
            rows.append({"benchmark": f"intake, {name} ({'PostgreSQL' if db_url else 'SQLite'})",
                         "figure": f"{res.rate:.0f} req/s, p50 {res.pct(50):.1f} ms, p99 {res.pct(99):.1f} ms",
                         "baseline": f"{baseline.rate:.0f} req/s (bare FastAPI insert)",
                         "ratio": f"{ratio:.2f}", "target": ">= 0.5" if not db_url else "(reported)"})
    finally:
        app.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--postgres", metavar="URL", help="run on this PostgreSQL database instead of SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(args.requests, args.concurrency, args.postgres, Path(tmp))


if __name__ == "__main__":
    main()
