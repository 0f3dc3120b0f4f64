"""`countersign audit verify|show`: the hash-chained audit log."""

from __future__ import annotations

import typer
from rich.table import Table

from bot.cli.common import console, fail, services_or_exit, settings_or_exit
from bot.cli.helptext import Command, Group
from bot.store import audit as audit_store
from bot.store import proposals as proposal_store
from bot.store.db import session_scope
from bot.words import plural

app = typer.Typer(
    cls=Group,
    help="Verify and read the tamper-evident audit log.\n\nExample: [bold]countersign audit verify[/]",
    no_args_is_help=True,
)


@app.command("verify", cls=Command)
def verify() -> None:
    """Recompute the hash chain; exit 1 and name every broken event if anything was altered or removed.

    Example: [bold]countersign audit verify[/]
    """
    svc = services_or_exit(settings_or_exit())
    with session_scope(svc.engine) as s:
        breaks = list(audit_store.verify(session=s))
        total = s.exec(audit_store.select(audit_store.AuditHead)).one().seq
    if breaks:
        for b in breaks:
            console.print(f"[red]event {b.seq}[/]: {b.problem}", highlight=False)
        fail(f"audit chain broken at {plural(len(breaks), 'place')}")
    console.print(f"audit chain intact: {total} events verified")


@app.command("show", cls=Command)
def show(proposal_id: str = typer.Argument(..., help="The proposal's id.")) -> None:
    """Print a proposal's audit trail, given the id the API returned for it.

    Example: [bold]countersign audit show 0b6f1f5e-8c1e-4b7a-9d2f-3c4d5e6f7a8b[/]
    """
    svc = services_or_exit(settings_or_exit())
    table = Table("seq", "at", "actor", "action", "before → after", "reason")
    with session_scope(svc.engine) as s:
        events = audit_store.for_proposal(session=s, proposal_id=proposal_id)
        if not events and proposal_store.get(session=s, proposal_id=proposal_id) is None:
            fail(f"no proposal with id {proposal_id!r}: ids look like 0b6f1f5e-8c1e-4b7a-9d2f-3c4d5e6f7a8b")
        for e in events:
            table.add_row(
                str(e.seq),
                f"{e.at:%Y-%m-%d %H:%M:%S}",
                e.actor,
                e.action,
                f"{e.before or ''} → {e.after or ''}",
                e.reason or "",
            )
    console.print(table)
