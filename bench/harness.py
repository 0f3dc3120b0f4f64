"""Shared bench plumbing: serve an ASGI app in a child process, drive HTTP load, summarise latencies."""

from __future__ import annotations

import asyncio
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bot.fakes.ports import free_port

ROOT = Path(__file__).resolve().parents[1]


class Served:
    """An HTTP server in a child process (so client and server do not share a GIL), up once /healthz answers.

    By default `uvicorn --factory module:factory`; pass `cmd` (with `{port}` where the port goes) to run anything
    else, e.g. `countersign serve --port {port}`.
    """

    def __init__(
        self,
        factory: str | None,
        env: dict[str, str],
        log: Path,
        *,
        cmd: list[str] | None = None,
        startup_seconds: float = 60,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = log.open("wb")
        if cmd is None:
            assert factory is not None
            cmd = [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                factory,
                "--port",
                "{port}",
                "--log-level",
                "warning",
                "--no-access-log",
            ]
        cmd = [part.replace("{port}", str(self.port)) for part in cmd]
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, env={**os.environ, **env}, stdout=self._log, stderr=subprocess.STDOUT
        )
        self._wait(log, startup_seconds)
        self.ready_seconds = time.perf_counter() - self.started

    def _wait(self, log: Path, startup_seconds: float) -> None:
        if wait_ok(f"{self.url}/healthz", startup_seconds, alive=lambda: self.proc.poll() is None):
            return
        if self.proc.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text()}")
        self.close()
        raise RuntimeError(f"server not up after {startup_seconds} s:\n{log.read_text()}")

    def rss_mb(self) -> float:
        """Resident memory of the server process."""
        return rss_mb(self.proc.pid)

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()


def wait_ok(url: str, timeout: float, *, alive: Callable[[], bool] = lambda: True) -> bool:
    """Poll `url` until it answers 200 (True); False once `alive()` is false or `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    return False


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
        return (
            f"{name:<34} {self.rate:8.1f} req/s   p50 {self.pct(50):7.2f} ms   p99 {self.pct(99):7.2f} ms"
            f"   errors {self.errors}"
        )


async def _timed_post(
    client: httpx.AsyncClient, url: str, request: tuple[bytes, dict[str, str]], latencies: list[float]
) -> int:
    """POST one request, append its latency in ms; returns the status code."""
    body, headers = request
    start = time.perf_counter()
    resp = await client.post(url, content=body, headers=headers)
    latencies.append((time.perf_counter() - start) * 1000)
    return resp.status_code


async def _drive(
    url: str, make: Callable[[int], tuple[bytes, dict[str, str]]], n: int, concurrency: int, ok: set[int]
) -> LoadResult:
    latencies: list[float] = []
    errors = 0
    counter = iter(range(n))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def worker() -> None:
            nonlocal errors
            for i in counter:
                errors += await _timed_post(client, url, make(i), latencies) not in ok

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - start
    return LoadResult(n, seconds, latencies, errors)


async def _drive_open(
    url: str, make: Callable[[int], tuple[bytes, dict[str, str]]], n: int, rate: float, ok: set[int]
) -> LoadResult:
    latencies: list[float] = []
    errors = 0
    async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=64)) as client:

        async def one(i: int) -> None:
            nonlocal errors
            errors += await _timed_post(client, url, make(i), latencies) not in ok

        start = time.perf_counter()
        tasks = []
        for i in range(n):
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
        seconds = time.perf_counter() - start
    return LoadResult(n, seconds, latencies, errors)


def drive_open(
    url: str,
    make: Callable[[int], tuple[bytes, dict[str, str]]],
    *,
    n: int,
    rate: float,
    ok: frozenset[int] = frozenset({200, 201}),
) -> LoadResult:
    """Open loop: start request i at i/rate seconds whatever the earlier ones are doing (arrivals like people's
    clicks, which do not wait for each other); record each latency."""
    return asyncio.run(_drive_open(url, make, n, rate, set(ok)))


def drive(
    url: str,
    make: Callable[[int], tuple[bytes, dict[str, str]]],
    *,
    n: int,
    concurrency: int,
    ok: frozenset[int] = frozenset({200, 201}),
) -> LoadResult:
    """POST `n` requests built by `make(i)` with `concurrency` connections; record each latency."""
    return asyncio.run(_drive(url, make, n, concurrency, set(ok)))


def rss_mb(pid: int) -> float:
    """Resident memory (VmRSS) of a process in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def machine() -> str:
    """One line describing where the figures were measured: CPUs, CPU model, RAM, Python, OS kernel."""
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    ram_gib = float("nan")
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            ram_gib = int(line.split()[1]) / 2**20
    return (
        f"{os.cpu_count()} CPUs ({model}), {ram_gib:.1f} GiB RAM, Python {platform.python_version()}, "
        f"Linux {platform.release()}"
    )


def load_average() -> str:
    """The 1-minute load average (other work on the machine skews every figure)."""
    return f"{os.getloadavg()[0]:.2f}"


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


def bench_services(db_url: str, policies_dir: Path, *, migrate_db: bool = True, **settings: Any) -> Any:
    """In-process Services on `db_url` (migrated) for setting up data before the server starts."""
    from bot.config import Settings
    from bot.store import migrate
    from bot.wiring import build_services

    svc = build_services(Settings(_env_file=None, database_url=db_url, policies_dir=policies_dir, **settings))
    if migrate_db:
        migrate.upgrade(svc.engine)
    return svc
