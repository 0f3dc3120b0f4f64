"""Top-level Typer app: one sub-module per command group."""

from __future__ import annotations

import typer

from bot import __version__
from bot.cli import agents, audit, connectors, digest, doctor, mcp, policy, receipts, sandbox, serve, shadow
from bot.cli.helptext import Command, Group

app = typer.Typer(
    name="countersign",
    cls=Group,
    help="Countersign: the human-approval layer between AI agents and the systems they act on.\n\n"
    "Configuration comes from environment variables (and ./.env); see README.md, 'Configuration'.\n\n"
    "Example: [bold]countersign sandbox[/] tries it on this machine, without a Slack workspace.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
app.command("serve", cls=Command)(serve.serve)
app.command("migrate", cls=Command)(serve.migrate)
app.add_typer(agents.app, name="agents")
app.add_typer(audit.app, name="audit")
app.add_typer(connectors.app, name="connectors")
app.add_typer(policy.app, name="policy")
app.command("digest", cls=Command)(digest.digest)
app.add_typer(shadow.app, name="shadow")
app.add_typer(receipts.app, name="receipts")
app.command("mcp", cls=Command)(mcp.mcp)
app.command("doctor", cls=Command)(doctor.doctor)
app.command("sandbox", cls=Command)(sandbox.sandbox)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"countersign {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Countersign command line."""
