"""Check an export's hash chain offline: no database, only the file (JSON Lines or OCSF from `audit export`)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.store.audit import GENESIS, ChainBreak, event_hash

REQUIRED = ("seq", "at", "proposal_id", "actor", "action", "before", "after", "reason", "data", "prev_hash", "hash")


class UnreadableExport(ValueError):
    """The file is not an export this command can check; the message says why."""


@dataclass
class FileReport:
    count: int = 0
    first: int | None = None
    last: int | None = None
    first_prev_hash: str | None = None  # links the export to the event before it
    last_hash: str | None = None
    breaks: list[ChainBreak] = field(default_factory=list)


def _record(line: str, number: int) -> dict[str, Any]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        if number == 1 and line.startswith("seq,"):
            raise UnreadableExport(
                "this is a CSV export, which cannot be checked (CSV cannot tell an empty value from a missing one): "
                "export with --format jsonl or --format ocsf"
            ) from None
        raise UnreadableExport(f"line {number} is not JSON ({exc.msg})") from None
    if isinstance(obj, dict) and "class_uid" in obj:  # OCSF: the original record is in raw_data
        return _record(str(obj.get("raw_data", "")), number)
    if not isinstance(obj, dict):
        raise UnreadableExport(f"line {number} is not an audit event")
    missing = [f for f in REQUIRED if f not in obj]
    if missing:
        raise UnreadableExport(f"line {number} has no {', '.join(missing)} field: it is not an audit export line")
    return obj


def check(lines: Iterable[str]) -> FileReport:
    """Recompute each event's hash and check that each links to the one before it."""
    report = FileReport()
    prev: dict[str, Any] | None = None
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        rec = _record(raw, number)
        seq = rec["seq"]
        if prev is None:
            report.first, report.first_prev_hash = seq, rec["prev_hash"]
            if seq == 1 and rec["prev_hash"] != GENESIS:
                report.breaks.append(ChainBreak(seq, "the first event does not start from the genesis hash"))
        else:
            if seq != prev["seq"] + 1:
                report.breaks.append(ChainBreak(seq, f"missing events {prev['seq'] + 1}..{seq - 1}"))
            if rec["prev_hash"] != prev["hash"]:
                report.breaks.append(ChainBreak(seq, "prev_hash does not match the previous event"))
        try:
            at = datetime.fromisoformat(rec["at"])
        except (TypeError, ValueError):
            raise UnreadableExport(f"line {number}: 'at' is not an ISO 8601 time") from None
        fields = {k: rec[k] for k in REQUIRED if k not in ("seq", "at", "prev_hash", "hash")}
        if event_hash(seq=seq, prev_hash=rec["prev_hash"], at=at, **fields) != rec["hash"]:
            report.breaks.append(ChainBreak(seq, "content was changed after it was written"))
        report.count, report.last, report.last_hash, prev = report.count + 1, seq, rec["hash"], rec
    return report
