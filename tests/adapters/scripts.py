"""Run a file from examples/ as a user would: a separate Python process pointed at the live service."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.live import Live

ROOT = Path(__file__).resolve().parents[2]


def run_example(name: str, live: Live, *, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """`python examples/NAME` with COUNTERSIGN_URL/TOKEN set; fails with its output if it exits non-zero."""
    env = {
        **os.environ,
        "COUNTERSIGN_URL": live.url,
        "COUNTERSIGN_TOKEN": live.token,
        "PYTHONPATH": str(ROOT),
        "OPENAI_AGENTS_DISABLE_TRACING": "1",
        **(extra_env or {}),
    }
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / name)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"{name} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done
