"""`countersign sandbox` as a newcomer runs it: help, the lines saying where to click, a clean Ctrl-C."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from bot.cli.main import app
from tests.sandbox.conftest import ROOT, example_policies


def test_help_explains_what_runs() -> None:
    out = CliRunner().invoke(app, ["sandbox", "--help"], env={"COLUMNS": "200"}).output
    for words in ("fake Slack", "8700", "REFUND_WEBHOOK_SECRET", "SMTP", "CRM", "demo agent", "Ctrl-C", "--data"):
        assert words in out, words


def test_starts_prints_where_to_click_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    example_policies(tmp_path / "policies")
    cmd = [
        sys.executable,
        "-c",
        "from bot.cli import main; main()",
        "sandbox",
        "--port",
        "0",
        "--api-port",
        "0",
        "--data",
        str(tmp_path / "data"),
        "--policies",
        str(tmp_path / "policies"),
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any("Stop: Ctrl-C" in line for line in lines):
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if not line:
                break
            lines.append(line)
        text = "".join(lines)
        url = re.search(r"Open (http://127\.0\.0\.1:\d+)", text)
        assert url, text + proc.stderr.read()  # type: ignore[union-attr]
        assert "Countersign service: http://127.0.0.1:" in text
        assert "webhook stand-in" in text
        assert httpx.get(url.group(1) + "/").status_code == 200
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "Stopped." in out
    assert (tmp_path / "data" / "countersign.db").exists()
