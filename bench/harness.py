"""Shared bench plumbing: serve an ASGI app in a child process, drive HTTP load, summarise latencies."""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """`uvicorn --factory module:factory` in a child process (so client and server do not share a GIL)."""

    def __init__(self, factory: str, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log.open("wb")
        cmd = [sys.executable, "-m", "uvicorn", "--factory", factory, "--port", str(self.port),
               "--log-level", "warning", "--no-access-log"]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env}, stdout=self._log,
                                     stderr=subprocess.STDOUT)
        self._wait(log)

    def _wait(self, log: Path) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited:\n{log.read_text()}")
            try:
                httpx.get(f"{self.url}/healthz", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"server not up:\n{log.read_text()}")

    def rss_mb(self) -> float:
        """Resident memory of the server process."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()


@dataclass
class LoadResult:
    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        """Latency percentile in milliseconds."""
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(q / 100 * len(data)))] if data else float("nan")

    def line(self, name: str) -> str:
        return (f"{name:<34} {self.rate:8.1f} req/s   p50 {self.pct(50):7.2f} ms   p99 {self.pct(99):7.2f} ms"
                f"   errors {self.errors}")


async def _drive(url: str, make: Callable[[int], tuple[bytes, dict[str, str]]], n: int, concurrency: int,
                 ok: set[int]) -> LoadResult:
    latencies: list[float] = []
    errors = 0
    counter = iter(range(n))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        async def worker() -> None:
            nonlocal errors
            for i in counter:
                body, headers = make(i)
                start = time.perf_counter()
                resp = await client.post(url, content=body, headers=headers)
                latencies.append((time.perf_counter() - start) * 1000)
                errors += resp.status_code not in ok

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - start
    return LoadResult(n, seconds, latencies, errors)


def drive(url: str, make: Callable[[int], tuple[bytes, dict[str, str]]], *, n: int, concurrency: int,
          ok: frozenset[int] = frozenset({200, 201})) -> LoadResult:
    """POST `n` requests built by `make(i)` with `concurrency` connections; record each latency."""
    return asyncio.run(_drive(url, make, n, concurrency, set(ok)))


def median_of(values: list[float]) -> float:
    """Median, for repeated rounds."""
    return statistics.median(values)


def env_bool(name: str) -> bool:
    """True when an env var is set to 1/true/yes."""
    return os.environ.get(name, "").lower() in {"1", "true", "yes"}


def markdown_table(rows: list[dict[str, Any]]) -> str:
    """Rows of dicts as a markdown table (for bench/run_all)."""
    if not rows:
        return ""
    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(r[h]) for h in head) + " |" for r in rows]
    return "\n".join(lines)
