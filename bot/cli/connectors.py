"""`countersign connectors list`: what is installed, and how each policy action is configured."""

from __future__ import annotations

import os

import typer
from rich.table import Table

from bot.cli.common import console, settings_or_exit
from bot.cli.helptext import Command, Group
from bot.policy import PolicyFileError, load_policies
from connectors import registry

app = typer.Typer(
    cls=Group,
    help="Inspect installed connectors and their configuration.\n\nExample: [bold]countersign connectors list[/]",
    no_args_is_help=True,
)


@app.command("list", cls=Command)
def list_connectors() -> None:
    """List installed connectors (built-in and from the countersign.connectors entry point) and their use.

    Example: [bold]countersign connectors list[/]
    """
    settings = settings_or_exit()
    installed = Table("connector", "class", "status")
    for name in registry.names():
        try:
            cls = registry.connector_class(name)
            installed.add_row(name, f"{cls.__module__}.{cls.__qualname__}", "[green]ok[/]")
        except Exception as exc:  # noqa: BLE001 - show a broken plugin instead of failing the whole listing
            installed.add_row(name, "?", f"[red]{exc}[/]")
    console.print(installed)
    try:
        policies = load_policies(settings.policies_dir)
    except PolicyFileError as exc:
        console.print(f"[red]policies do not load[/]: run `countersign policy check`\n{exc}")
        raise typer.Exit(1) from None
    used = Table("workflow", "action", "connector", "configuration")
    problems = 0
    for wf in policies.workflows.values():
        for act in wf.actions.values():
            missing = registry.missing_secrets(act.connector_config, os.environ)
            problems += bool(missing)
            status = f"[red]missing env: {', '.join(missing)}[/]" if missing else "[green]ok[/]"
            used.add_row(wf.name, act.name, act.connector_type, status)
    console.print(used)
    raise typer.Exit(1 if problems else 0)
