"""A whole sandbox per test: example policies pointed at free ports, every server on an ephemeral port."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.fakes.ports import free_port
from bot.sandbox import Sandbox, SandboxConfig

ROOT = Path(__file__).resolve().parents[2]
# (text in policies/*.yaml, its replacement): the example connectors' fixed ports become free ones
SWAPS = [
    ("localhost:8091", "localhost:{webhook}"),
    ("port: 1025", "port: {smtp}"),
    ("localhost:8090", "localhost:{crm}"),
]


def example_policies(directory: Path, *, keep_ports: bool = False) -> dict[str, int]:
    """Copy policies/*.yaml into `directory` with the stand-ins' fixed ports swapped for free ones."""
    directory.mkdir(parents=True)
    ports = {kind: free_port() for kind in ("webhook", "smtp", "crm")}
    if keep_ports:
        ports = {"webhook": 8091, "smtp": 1025, "crm": 8090}
    for source in sorted((ROOT / "policies").glob("*.yaml")):
        text = source.read_text()
        for old, new in SWAPS:
            assert old in text or source.name != _owner(old), f"{source.name} no longer says {old}"
            text = text.replace(old, new.format(**ports))
        (directory / source.name).write_text(text)
    return ports


def _owner(text: str) -> str:
    return {"localhost:8091": "refunds.yaml", "port: 1025": "support-replies.yaml"}.get(text, "crm-updates.yaml")


def wait_for(check: Callable[[], Any], timeout: float = 15.0, what: str = "condition") -> Any:
    """Poll until `check()` is truthy; its value is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    # The README's screenshot shows the examples' real ports (SANDBOX_SCREENSHOT, see test_browser.py).
    ports = example_policies(tmp_path / "policies", keep_ports=bool(os.environ.get("SANDBOX_SCREENSHOT")))
    config = SandboxConfig(data_dir=tmp_path / "data", policies_dir=tmp_path / "policies", page_port=0, api_port=0)
    with Sandbox(config) as box:
        box.test_ports = ports  # type: ignore[attr-defined]
        yield box


@pytest.fixture
def page(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.page_url, timeout=30) as client:
        yield client
