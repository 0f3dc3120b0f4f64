"""`countersign sandbox`: try Countersign in two minutes, without a Slack app."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

import typer

from bot.cli.common import console, fail

# Paragraphs are single lines on purpose: the help renderer wraps them to the terminal.
PARAGRAPHS = [
    "Try Countersign without a Slack workspace: everything runs on this machine, in one process. It starts:",
    (
        "* the [bold]real Countersign service[/] (the same code as `countersign serve`) on SQLite in --data, with the "
        "policies in --policies (by default the example policies shipped with Countersign); only the Slack Web API "
        "address and the signing secret are the sandbox's;"
    ),
    "* a [bold]fake Slack[/] workspace: people, user groups and channels named after the ids the policies use;",
    (
        "* a [bold]web page[/] (--port, default http://127.0.0.1:8700) showing its channels and threads as Slack "
        "would: pick who you are and click Approve / Edit / Reject; each click reaches the service as a real, signed "
        "Slack request;"
    ),
    (
        "* [bold]stand-ins[/] for what the example connectors call, so approved actions really run: a webhook receiver "
        "on :8091 that verifies signatures (the sandbox sets REFUND_WEBHOOK_SECRET), an SMTP server on :1025 and a CRM "
        "on :8090 (the sandbox sets CRM_TOKEN); the page shows what each received;"
    ),
    (
        "* a [bold]demo agent[/] using the Python client: a small refund (auto-approved and executed), one needing "
        "one approval, a $640 refund needing two, the same refund again (flagged as a possible duplicate), one with "
        "missing fields (Approve hidden until someone fixes it with Edit), a customer email reply, and a CRM update "
        "in shadow mode."
    ),
    (
        "Each start begins with an empty database (the fake Slack lives in memory). The database stays in --data after "
        "you stop, e.g. for [bold]DATABASE_URL=sqlite:///sandbox-data/countersign.db countersign audit verify[/]. "
        "The sandbox ignores .env, SLACK_* and DATABASE_URL. Stop with Ctrl-C."
    ),
    "Example: [bold]countersign sandbox[/], then open http://127.0.0.1:8700",
]
HELP = "\n\n".join(PARAGRAPHS)


def sandbox(
    port: int = typer.Option(8700, "--port", help="Port of the sandbox web page."),
    api_port: int = typer.Option(8000, "--api-port", help="Port of the Countersign service (agent API, /docs)."),
    host: str = typer.Option(
        "127.0.0.1", help="Interface of the page and the service (the fake Slack and the stand-ins stay on 127.0.0.1)."
    ),
    data: Path = typer.Option(Path("sandbox-data"), "--data", help="Directory for the sandbox's SQLite database."),
    policies: Path | None = typer.Option(
        None, "--policies", help="Policy directory (default: the example policies shipped with Countersign)."
    ),
    demo: bool = typer.Option(True, "--demo/--no-demo", help="Run the demo agent's proposals at start."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show the service's log lines (INFO)."),
) -> None:
    from bot.logs import configure
    from bot.sandbox import EXAMPLE_POLICIES, Sandbox, SandboxConfig, SandboxError

    policies = policies or EXAMPLE_POLICIES
    if not policies.is_dir():
        fail(
            f"no policy directory at {policies}: pass an existing directory, or leave out --policies for the examples",
            2,
        )
    configure("INFO" if verbose else "WARNING", "console")
    if not verbose:  # "job skipped: already running" when a kick meets a running sweep is expected here
        logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
    console.print("Starting the Countersign sandbox…")
    box = Sandbox(
        SandboxConfig(data_dir=data, policies_dir=policies, host=host, page_port=port, api_port=api_port, demo=demo)
    )
    try:
        box.start()
    except SandboxError as exc:
        fail(str(exc), 2)
    try:
        _banner(box)
        _wait_for_stop()
    finally:
        console.print("Stopping…")
        box.stop()
        console.print(f"Stopped. The database stays in {data}/ (the next start begins afresh).")


sandbox.__doc__ = HELP


def _banner(box: object) -> None:
    from bot.sandbox import Sandbox

    assert isinstance(box, Sandbox)
    console.print()
    console.print(f"  [bold green]Open {box.page_url}[/]  ← the fake Slack workspace: click as any person")
    console.print(f"  Countersign service: {box.api_url}  (API docs: {box.api_url}/docs)")
    for target in box.targets:
        console.print(f"  {target.kind} stand-in on :{target.port} for {', '.join(target.users)}")
    if box.demo:
        console.print(f"  Demo agent: {len(box.demo.entries)} proposals sent; more from a shell:")
        console.print(
            f"    curl -s {box.api_url}/api/v1/proposals -H 'Authorization: Bearer {box.agent_token}' "
            "-H 'Content-Type: application/json' "
            '-d \'{"workflow": "refunds", "action": "issue_refund", '
            '"summary": "Refund order 1300", "payload": {"order_id": "ORD-1300", "amount": 42, '
            '"currency": "USD", "reason": "late"}}\'',
            soft_wrap=True,
            highlight=False,
        )
    console.print(f"  Data: {box.config.data_dir}/   Stop: Ctrl-C")
    console.print()


def _wait_for_stop() -> None:
    """Block until Ctrl-C or SIGTERM."""
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
