"""Run `countersign serve` as a real child process, so tests can kill -9 it mid-work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bot.fakes.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


class ServiceProcess:
    """One replica: `countersign serve` in a child process with the given environment."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        # the test's targets (webhook receivers, callback URLs) listen on loopback
        defaults = {"COUNTERSIGN_SWEEP_SECONDS": "0.2", "COUNTERSIGN_ALLOWED_TARGETS": "127.0.0.1"}
        full_env = {**os.environ, **defaults, **env}
        cmd = [sys.executable, "-c", "from bot.cli import main; main()", "serve", "--port", str(self.port)]
        self._log = log_path.open("ab")
        self.proc = subprocess.Popen(cmd, env=full_env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Block until /readyz answers 200, or fail with the child's log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"service exited with {self.proc.returncode}:\n{self.log_path.read_text()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"service not ready after {timeout}s:\n{self.log_path.read_text()}")

    def kill9(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing; exactly what a crash looks like."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self._log.close()

    def stop(self) -> None:
        """Graceful stop (SIGTERM), falling back to SIGKILL."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()


def wait_until(predicate: object, timeout: float = 20.0, what: str = "condition") -> None:
    """Poll a condition with a deadline (work done by another process has no event to wait on)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
