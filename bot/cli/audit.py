"""`countersign audit verify|show|export`: the hash-chained audit log."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.table import Table

from bot.audit import verify_file
from bot.audit.export import Format, export, parse_when
from bot.cli.common import console, err_console, fail, services_or_exit, settings_or_exit
from bot.cli.helptext import Command, Group
from bot.store import audit as audit_store
from bot.store import proposals as proposal_store
from bot.store.db import session_scope
from bot.words import plural

app = typer.Typer(
    cls=Group,
    help="Verify, read and export the tamper-evident audit log.\n\nExample: [bold]countersign audit verify[/]",
    no_args_is_help=True,
)


@app.command("verify", cls=Command)
def verify(
    file: Path | None = typer.Option(
        None,
        "--file",
        "-f",
        help="Check this export (JSON Lines or OCSF from `audit export`) offline instead of the database.",
    ),
) -> None:
    """Recompute the hash chain; exit 1 and name every broken event if anything was altered or removed.

    Example: [bold]countersign audit verify[/] (the database), [bold]countersign audit verify --file export.jsonl[/]
    (an export, offline)
    """
    if file is not None:
        _verify_file(file)
        return
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


def _verify_file(path: Path) -> None:
    try:
        with path.open(encoding="utf-8") as f:
            report = verify_file.check(f)
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
    except UnicodeDecodeError:
        fail(f"{path} is not UTF-8 text: is it an audit export?")
    except verify_file.UnreadableExport as exc:
        fail(f"{path}: {exc}")
    if report.count == 0:
        fail(f"{path} holds no audit events")
    for b in report.breaks:
        console.print(f"[red]event {b.seq}[/]: {b.problem}", highlight=False)
    if report.breaks:
        fail(f"export chain broken at {plural(len(report.breaks), 'place')}")
    console.print(
        f"export chain intact: {plural(report.count, 'event')} verified (events {report.first} to {report.last})"
    )
    if report.first == 1:
        console.print("It starts at the first event ever written.")
    else:
        console.print(
            f"Event {report.first} follows the event whose hash is {report.first_prev_hash}: check that it is the last "
            "hash of the previous export (or run `countersign audit verify` on the service)."
        )


@app.command("export", cls=Command)
def export_cmd(
    since: str | None = typer.Option(
        None, help="First day (or ISO 8601 time, UTC unless an offset is given) to include, e.g. 2026-11-01."
    ),
    until: str | None = typer.Option(None, help="Day (or time) to stop before, e.g. 2026-12-01; default: now."),
    fmt: Format = typer.Option(
        Format.jsonl, "--format", help="jsonl (checkable with `audit verify --file`), csv, or ocsf (OCSF 1.3.0)."
    ),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file instead of standard output."),
) -> None:
    """Export the audit log with its hash chain (seq, prev_hash, hash) for a SIEM or an auditor.

    Example: [bold]countersign audit export --since 2026-11-01 --until 2026-12-01 --output november.jsonl[/]
    """
    try:
        start = parse_when(since, name="--since") if since else None
        end = parse_when(until, name="--until") if until else None
    except ValueError as exc:
        fail(str(exc), 2)
    if start and end and start >= end:
        fail(f"--until ({until}) must be after --since ({since})", 2)
    svc = services_or_exit(settings_or_exit())
    count = 0
    try:
        out = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")
    try:
        for line in export(svc.engine, fmt, start, end):
            out.write(line)
            count += 1
    finally:
        if output:
            out.close()
    events = count - 1 if fmt is Format.csv else count
    where = f" to {output}" if output else ""
    err_console.print(f"exported {plural(events, 'event')}{where}", highlight=False)
