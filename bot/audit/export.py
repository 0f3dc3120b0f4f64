"""Stream a stretch of the audit log, with its hash chain fields, as JSON Lines, CSV or OCSF.

An export is always a contiguous run of events (from the first event at or after `since` to the last one before
`until`), so the chain inside it can be checked offline; a gap would look like tampering.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import col, select

from bot.audit import ocsf
from bot.store.db import read_scope
from bot.store.models import AuditEvent

BATCH = 1000
FIELDS = ("seq", "at", "proposal_id", "actor", "action", "before", "after", "reason", "data", "prev_hash", "hash")


class Format(StrEnum):
    jsonl = "jsonl"
    csv = "csv"
    ocsf = "ocsf"


MEDIA_TYPES = {Format.jsonl: "application/x-ndjson", Format.csv: "text/csv", Format.ocsf: "application/x-ndjson"}


def parse_when(value: str, *, name: str) -> datetime:
    """A date (midnight UTC) or an ISO 8601 date and time (UTC when no offset is given)."""
    try:
        when = datetime.fromisoformat(value)  # a plain date reads as its midnight
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError(f"{name} {value!r} is not a date such as 2026-11-01 or 2026-11-01T09:30:00+01:00") from None


def record(ev: AuditEvent) -> dict[str, Any]:
    """An event as exported: exactly the values its hash covers, `at` in the ISO form that was hashed."""
    return {
        "seq": ev.seq,
        "at": ev.at.isoformat(),
        "proposal_id": ev.proposal_id,
        "actor": ev.actor,
        "action": ev.action,
        "before": ev.before,
        "after": ev.after,
        "reason": ev.reason,
        "data": ev.data,
        "prev_hash": ev.prev_hash,
        "hash": ev.hash,
    }


def seq_range(engine: Engine, since: datetime | None, until: datetime | None) -> tuple[int, int] | None:
    """First and last seq of the events in [since, until), or None when there are none."""
    with read_scope(engine) as s:
        first_q = select(func.min(AuditEvent.seq))
        last_q = select(func.max(AuditEvent.seq))
        if since is not None:
            first_q = first_q.where(col(AuditEvent.at) >= since)
        if until is not None:
            last_q = last_q.where(col(AuditEvent.at) < until)
        first, last = s.exec(first_q).one(), s.exec(last_q).one()
    if first is None or last is None or first > last:
        return None
    return int(first), int(last)


def records(engine: Engine, first: int, last: int) -> Iterator[dict[str, Any]]:
    """Events first..last in seq order, read in batches (each its own short read) so big exports stay small."""
    after = first - 1
    while after < last:
        with read_scope(engine) as s:
            stmt = (
                select(AuditEvent)
                .where(col(AuditEvent.seq) > after, col(AuditEvent.seq) <= last)
                .order_by(col(AuditEvent.seq))
                .limit(BATCH)
            )
            batch = [record(ev) for ev in s.exec(stmt).all()]
        if not batch:
            return
        yield from batch
        after = batch[-1]["seq"]


def jsonl_line(rec: dict[str, Any]) -> str:
    return json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n"


def _csv_row(values: list[Any]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(values)
    return buf.getvalue()


def lines(recs: Iterator[dict[str, Any]], fmt: Format) -> Iterator[str]:
    """The export's text, one line per event (CSV adds its header first)."""
    if fmt is Format.csv:
        yield _csv_row(list(FIELDS))
        for rec in recs:
            row = {**rec, "data": None if rec["data"] is None else json.dumps(rec["data"], ensure_ascii=False)}
            yield _csv_row(["" if row[f] is None else row[f] for f in FIELDS])
    elif fmt is Format.ocsf:
        for rec in recs:
            yield json.dumps(ocsf.event(rec, raw=jsonl_line(rec).rstrip("\n")), ensure_ascii=False) + "\n"
    else:
        for rec in recs:
            yield jsonl_line(rec)


def export(engine: Engine, fmt: Format, since: datetime | None, until: datetime | None) -> Iterator[str]:
    """Every line of an export of [since, until)."""
    span = seq_range(engine, since, until)
    if fmt is Format.csv and span is None:
        yield _csv_row(list(FIELDS))
    if span is not None:
        yield from lines(records(engine, *span), fmt)
