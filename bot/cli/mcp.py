"""`countersign mcp`: an MCP server (stdio or streamable HTTP) for agents that speak MCP."""

from __future__ import annotations

import os
from enum import StrEnum

import typer

from bot.cli.common import fail


class Transport(StrEnum):
    stdio = "stdio"
    http = "http"


def mcp(
    transport: Transport = typer.Option(
        Transport.stdio,
        help="stdio (the MCP client starts this command) or http (streamable HTTP at http://HOST:PORT/mcp).",
    ),
    host: str = typer.Option("127.0.0.1", help="Interface for --transport http."),
    port: int = typer.Option(8765, help="TCP port for --transport http."),
) -> None:
    """Serve the MCP tools request_approval and get_decision, talking to Countersign as one agent.

    Needs COUNTERSIGN_URL (the service) and COUNTERSIGN_TOKEN (from `countersign agents add`).
    Example: [bold]COUNTERSIGN_URL=http://127.0.0.1:8000 COUNTERSIGN_TOKEN=cs_... countersign mcp[/]
    """
    url, token = os.environ.get("COUNTERSIGN_URL", ""), os.environ.get("COUNTERSIGN_TOKEN", "")
    missing = [n for n, v in (("COUNTERSIGN_URL", url), ("COUNTERSIGN_TOKEN", token)) if not v]
    if missing:
        fail(
            f"{' and '.join(missing)} must be set (the service URL, and an agent token from "
            "`countersign agents add NAME --scope WORKFLOW`)",
            2,
        )
    try:
        from countersign.client import AsyncCountersign
        from countersign.mcp_server import build_server
    except ImportError as exc:
        fail(f"the MCP server needs the 'mcp' extra: pip install 'countersign[mcp]' ({exc})", 2)
    server = build_server(AsyncCountersign(url, token))
    if transport is Transport.stdio:
        server.run("stdio")  # stdout carries the protocol: nothing else may print there
    else:
        server.run("streamable-http", host=host, port=port)
