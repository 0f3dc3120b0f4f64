"""`countersign mcp` as a real child process, driven by the mcp package's own client over stdio and HTTP."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client, StdioServerParameters

from bot.fakes.ports import free_port
from bot.flow import decide
from tests.live import Human, Live, approve, edit_and_approve, reject

ROOT = Path(__file__).resolve().parents[2]
CLI = ["-c", "from bot.cli import main; main()", "mcp"]
REFUND = {"order_id": "ORD-1042", "amount": 45.0, "currency": "USD", "reason": "damaged"}


def server_env(live: Live) -> dict[str, str]:
    return {"COUNTERSIGN_URL": live.url, "COUNTERSIGN_TOKEN": live.token, "PYTHONPATH": str(ROOT)}


def stdio(live: Live) -> Client:
    return Client(StdioServerParameters(command=sys.executable, args=CLI, env=server_env(live), cwd=ROOT))


@pytest.fixture
def http_server(live: Live, tmp_path: Path) -> Iterator[str]:
    """`countersign mcp --transport http` in a child process; yields its MCP endpoint URL."""
    port = free_port()
    log = (tmp_path / "mcp.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, *CLI, "--transport", "http", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, **server_env(live)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/mcp"
    try:
        _wait_listening(proc, port, tmp_path / "mcp.log")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def _wait_listening(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"countersign mcp exited {proc.returncode}:\n{log.read_text()}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/mcp", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"countersign mcp did not listen on {port}:\n{log.read_text()}")


def call(client: Client, tool: str, **args: Any) -> Any:
    """Connect, call one tool, disconnect; returns the CallToolResult."""

    async def go() -> Any:
        async with client as c:
            return await c.call_tool(tool, args)

    return asyncio.run(go())


def test_stdio_lists_both_tools_and_request_approval_waits_for_people(live: Live, human: Human) -> None:
    async def go() -> tuple[list[str], Any]:
        async with stdio(live) as c:
            names = sorted(t.name for t in (await c.list_tools()).tools)
            human.then(edit_and_approve({**REFUND, "amount": 40.0}, user="U0FINANCE1"))
            result = await c.call_tool(
                "request_approval",
                {
                    "workflow": "refunds",
                    "action": "issue_refund",
                    "summary": "Refund ORD-1042",
                    "payload": REFUND,
                    "wait_seconds": 60,
                },
            )
            return names, result

    names, result = asyncio.run(go())
    assert names == ["get_decision", "request_approval"]
    assert not result.is_error
    out = result.structured_content
    assert out["approved"] is True
    assert out["status"] == "approved"
    assert out["edited"] is True
    assert out["payload"]["amount"] == 40.0
    assert out["decided_by"] == "U0FINANCE1"
    assert live.count() == 1


def test_stdio_pending_then_get_decision_sees_the_rejection(live: Live, human: Human) -> None:
    async def go() -> tuple[Any, Any]:
        async with stdio(live) as c:
            first = await c.call_tool(
                "request_approval",
                {
                    "workflow": "refunds",
                    "action": "issue_refund",
                    "summary": "Refund ORD-1042",
                    "payload": REFUND,
                    "wait_seconds": 0,
                },
            )
            human.then(reject("duplicate of last week's refund", user="U0FINANCE2"))
            later = await c.call_tool(
                "get_decision", {"proposal_id": first.structured_content["proposal_id"], "wait_seconds": 60}
            )
            return first, later

    first, later = asyncio.run(go())
    assert first.structured_content["status"] == "pending"
    assert first.structured_content["decided"] is False
    out = later.structured_content
    assert out["approved"] is False
    assert out["status"] == "rejected"
    assert out["reason"] == "duplicate of last week's refund"
    assert "Do not retry it unchanged" in out["message"]


def test_api_errors_come_back_as_tool_errors_with_the_servers_message(live: Live) -> None:
    result = call(stdio(live), "request_approval", workflow="payroll", action="x", summary="s", payload={})
    assert result.is_error
    assert "404 NotFound: unknown workflow 'payroll'" in result.content[0].text
    invalid = call(
        stdio(live),
        "request_approval",
        workflow="refunds",
        action="issue_refund",
        summary="",
        payload=REFUND,
        wait_seconds=0,
    )
    assert invalid.is_error
    assert "summary: String should have at least 1 character" in invalid.content[0].text


def test_streamable_http_transport(live: Live, human: Human, http_server: str) -> None:
    async def go() -> tuple[Any, Any]:
        async with Client(http_server) as c:
            auto = await c.call_tool(
                "request_approval",
                {
                    "workflow": "refunds",
                    "action": "issue_refund",
                    "summary": "Small refund",
                    "payload": {**REFUND, "amount": 12.0},
                    "idempotency_key": "mcp-1",
                },
            )
            human.then(approve("U0FINANCE1"))
            slow = await c.call_tool(
                "request_approval",
                {
                    "workflow": "refunds",
                    "action": "issue_refund",
                    "summary": "Refund ORD-1042",
                    "payload": REFUND,
                    "wait_seconds": 60,
                },
            )
            return auto, slow

    auto, slow = asyncio.run(go())
    assert auto.structured_content["status"] == "auto_approved"
    assert auto.structured_content["approved"] is True
    assert slow.structured_content["status"] == "approved"
    assert live.count() == 2


def test_mcp_refuses_to_start_without_url_and_token() -> None:
    done = subprocess.run(
        [sys.executable, *CLI],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("COUNTERSIGN_")},
    )
    assert done.returncode == 2
    assert "COUNTERSIGN_URL and COUNTERSIGN_TOKEN must be set" in done.stderr
    assert done.stdout == ""  # stdout belongs to the protocol


def test_a_late_decision_is_seen_by_get_decision(live: Live) -> None:
    first = call(
        stdio(live),
        "request_approval",
        workflow="refunds",
        action="issue_refund",
        summary="Refund",
        payload=REFUND,
        wait_seconds=0,
    )
    pid = first.structured_content["proposal_id"]
    decide.approve(live.svc, proposal_id=pid, user="U0FINANCE2")
    later = call(stdio(live), "get_decision", proposal_id=pid, wait_seconds=0)
    assert later.structured_content["approved"] is True
    assert later.structured_content["decided_by"] == "U0FINANCE2"
