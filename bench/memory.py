"""Idle memory: resident set size of `countersign serve` after start-up, against a bare FastAPI + uvicorn app.

Run: .venv/bin/python -m bench.memory

`countersign serve` starts with Slack configured against a FakeSlack (in this process), the example policies in
policies/ and a fresh SQLite database; once /readyz answers 200 (database, migrations and Slack auth checked) and
the first sweep has run, its RSS is read from /proc. Baseline measured in the same run: a
`python -c "import fastapi, uvicorn ..."` hello app served by uvicorn. Also listed: which heavy optional modules a
started service has imported (matplotlib, numpy, PIL, ... must load only when a digest chart is drawn).
Target: < 150 MB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import ROOT, Served, load_average, wait_ok
from bot.fakeslack import FakeSlack

SECRET = "bench-memory-secret"
TOKEN = "xoxb-bench"
HEAVY = (
    "matplotlib",
    "numpy",
    "PIL",
    "pandas",
    "langgraph",
    "langchain_core",
    "openai",
    "agents",
    "mcp",
    "rich",
    "typer",
    "jsonschema",
    "alembic",
    "apscheduler",
    "slack_bolt",
    "sqlalchemy",
    "psycopg",
    "pydantic",
)
HELLO = """
import sys, fastapi, uvicorn
app = fastapi.FastAPI()
@app.get("/healthz")
def healthz():
    return {"status": "ok"}
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""
# What a started service has imported, printed as JSON (the same start-up as `countersign serve`, minus uvicorn.run).
PROBE = """
import json, sys
from bot.app import create_app
from bot.config import load_settings
from bot.logs import configure
settings = load_settings()
configure(settings.log_level, settings.log_format)
create_app(settings)
heavy = %r
print(json.dumps({"modules": len(sys.modules), "loaded": [m for m in heavy if m in sys.modules]}))
"""


def settle(url: str, seconds: float = 3.0) -> None:
    """Wait until /readyz says ready, then a little longer (first sweep, digest catch-up)."""
    wait_ok(f"{url}/readyz", 30)
    time.sleep(seconds)


def run(workdir: Path) -> list[dict[str, Any]]:
    """Measure both processes; print and return the table row."""
    hello = Served(None, {}, workdir / "hello.log", cmd=[sys.executable, "-c", HELLO, "{port}"])
    try:
        time.sleep(2)
        base_rss = hello.rss_mb()
    finally:
        hello.close()
    channels = {c: {"name": c.lower(), "members": ["UBOT"]} for c in ("C0REVIEW", "C0REFUNDS", "C0SUPPORT", "C0CRM")}
    with FakeSlack(SECRET, TOKEN, channels=channels) as slack:
        env = {
            "DATABASE_URL": f"sqlite:///{workdir}/countersign.db",
            "COUNTERSIGN_POLICIES": str(ROOT / "policies"),
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url,
            "COUNTERSIGN_LOG_LEVEL": "WARNING",
        }
        serve = Served(
            None,
            env,
            workdir / "serve.log",
            cmd=[str(Path(sys.executable).parent / "countersign"), "serve", "--port", "{port}"],
        )
        try:
            settle(serve.url)
            rss = serve.rss_mb()
            ready_s = serve.ready_seconds
        finally:
            serve.close()
        probe = subprocess.run(
            [sys.executable, "-c", PROBE % (HEAVY,)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**__import__("os").environ, **env},
            timeout=120,
            check=True,
        )
    loaded = json.loads(probe.stdout.strip().splitlines()[-1])
    lazy_ok = "matplotlib" not in loaded["loaded"]
    print(f"bare FastAPI + uvicorn hello app:  RSS {base_rss:6.1f} MiB")
    print(
        f"countersign serve (Slack on, example policies, SQLite): RSS {rss:6.1f} MiB after start-up "
        f"(up in {ready_s:.1f} s); ratio {rss / base_rss:.2f}; target < 150 MB: {'OK' if rss < 150 else 'MISSED'}"
    )
    print(
        f"a started service has {loaded['modules']} modules imported; of the heavy ones: "
        f"{', '.join(loaded['loaded']) or 'none'} (matplotlib lazy: {'yes' if lazy_ok else 'NO'}); "
        f"load average {load_average()}"
    )
    return [
        {
            "benchmark": "idle memory: `countersign serve` after start-up",
            "figure": f"RSS {rss:.0f} MiB{'' if lazy_ok else ' (matplotlib imported at start-up!)'}",
            "baseline": f"bare FastAPI + uvicorn hello app: {base_rss:.0f} MiB",
            "ratio": f"{rss / base_rss:.2f}",
            "target": "< 150 MB",
        }
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(Path(tmp))


if __name__ == "__main__":
    main()
