"""`countersign agents add|list|revoke`: API tokens for agents."""

from __future__ import annotations

import typer
from rich.table import Table

from bot import limits
from bot.cli.common import console, err_console, fail, services_or_exit, settings_or_exit
from bot.cli.helptext import Command, Group
from bot.errors import CountersignError
from bot.flow import agents as agent_flow
from bot.store import agents as agent_store
from bot.store.db import session_scope

app = typer.Typer(
    cls=Group,
    help="Create, list and revoke agent API tokens.\n\n"
    "Example: [bold]countersign agents add support-bot --scope refunds[/]",
    no_args_is_help=True,
)


@app.command("add", cls=Command)
def add(
    name: str = typer.Argument(
        ...,
        help=f"A name for the agent (up to {limits.AGENT_NAME} letters, digits, '.', '_' or '-'), e.g. support-bot.",
    ),
    scope: list[str] = typer.Option(
        ..., "--scope", "-s", help="WORKFLOW or WORKFLOW:ACTION the agent may propose; repeat for several."
    ),
) -> None:
    """Create an agent and print its token [bold]once[/] (only a hash is stored).

    Example: [bold]countersign agents add support-bot --scope support-replies --scope refunds:issue_refund[/]
    """
    svc = services_or_exit(settings_or_exit())
    unknown = [s for s in scope if s != "*" and s.split(":")[0] not in svc.policies.workflows]
    if unknown:
        fail(f"unknown workflow in scope: {', '.join(unknown)} (known: {', '.join(sorted(svc.policies.workflows))})")
    try:
        token = agent_flow.create(svc, name=name, scopes=scope)
    except CountersignError as exc:
        fail(exc.message)
    # Only the token goes to stdout, so TOKEN=$(countersign agents add ...) captures exactly it.
    err_console.print(f"Agent [bold]{name}[/] created with scopes: {', '.join(scope)}")
    err_console.print("Token (shown only now; store it in your agent's secrets):")
    print(token)


@app.command("list", cls=Command)
def list_agents() -> None:
    """List agents, their scopes and whether they are revoked.

    Example: [bold]countersign agents list[/]
    """
    svc = services_or_exit(settings_or_exit())
    table = Table("name", "token", "scopes", "created", "revoked")
    with session_scope(svc.engine) as s:
        for a in agent_store.all_agents(session=s):
            table.add_row(
                a.name,
                f"{a.token_prefix}…",
                ", ".join(a.scopes),
                f"{a.created_at:%Y-%m-%d %H:%M}",
                f"{a.revoked_at:%Y-%m-%d %H:%M}" if a.revoked_at else "",
            )
    console.print(table)


@app.command("revoke", cls=Command)
def revoke(name: str = typer.Argument(..., help="The agent whose token stops working now.")) -> None:
    """Revoke an agent's token (its next call gets 401).

    Example: [bold]countersign agents revoke support-bot[/]
    """
    svc = services_or_exit(settings_or_exit())
    try:
        agent_flow.revoke(svc, name=name)
    except CountersignError as exc:
        fail(exc.message)
    console.print(f"Agent [bold]{name}[/] revoked.")
