"""`countersign audit verify|show`: the hash-chained audit log."""

from __future__ import annotations

import typer
from rich.table import Table

from bot.cli.common import console, fail, services_or_exit, settings_or_exit
from bot.store import audit as audit_store
from bot.store.db import session_scope
from bot.words import plural

app = typer.Typer(help="Verify and read the tamper-evident audit log.", no_args_is_help=True)


@app.command("verify")
def verify() -> None:
    """Recompute the hash chain; exit 1 and name every broken event if anything was altered or removed."""
    svc = services_or_exit(settings_or_exit())
    with session_scope(svc.engine) as s:
        breaks = list(audit_store.verify(session=s))
        total = s.exec(audit_store.select(audit_store.AuditHead)).one().seq
    if breaks:
        for b in breaks:
            console.print(f"[red]event {b.seq}[/]: {b.problem}", highlight=False)
        fail(f"audit chain broken at {plural(len(breaks), 'place')}")
    console.print(f"audit chain intact: {total} events verified")


@app.command("show")
def show(proposal_id: str = typer.Argument(..., help="Proposal id.")) -> None:
    """Print a proposal's audit trail."""
    svc = services_or_exit(settings_or_exit())
    table = Table("seq", "at", "actor", "action", "before → after", "reason")
    with session_scope(svc.engine) as s:
        for e in audit_store.for_proposal(session=s, proposal_id=proposal_id):
            table.add_row(
                str(e.seq),
                f"{e.at:%Y-%m-%d %H:%M:%S}",
                e.actor,
                e.action,
                f"{e.before or ''} → {e.after or ''}",
                e.reason or "",
            )
    console.print(table)
