"""The hash-chained audit log: append under a lock on the chain head; verify by recomputing."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, col, select

from bot.errors import CountersignError
from bot.store.db import table
from bot.store.models import AuditEvent, AuditHead

GENESIS = "0" * 64
# Statements built once, parameters bound per call: appending happens in every transaction.
_HEAD = select(table(AuditHead).c.seq, table(AuditHead).c.hash).where(table(AuditHead).c.id == 1).with_for_update()
_INSERT = insert(table(AuditEvent))
_ADVANCE = (
    update(table(AuditHead))
    .where(table(AuditHead).c.id == 1)
    .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"))
)


def event_hash(
    *,
    seq: int,
    prev_hash: str,
    proposal_id: str | None,
    actor: str,
    action: str,
    before: str | None,
    after: str | None,
    reason: str | None,
    data: Any,
    at: datetime,
) -> str:
    """SHA-256 over the canonical JSON of an event's fields and the previous hash."""
    body = [seq, prev_hash, proposal_id, actor, action, before, after, reason, data, at.isoformat()]
    raw = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def append(
    *,
    session: Session,
    actor: str,
    action: str,
    at: datetime,
    proposal_id: str | None = None,
    before: str | None = None,
    after: str | None = None,
    reason: str | None = None,
    data: Any = None,
) -> int:
    """Append one event and return its seq. Call it last in a transaction: it holds the chain lock until commit."""
    conn = session.connection()
    head = conn.execute(_HEAD).one()
    at = at.astimezone(UTC)  # hashed as stored: the column gives back UTC
    seq = head.seq + 1
    fields = {
        "proposal_id": proposal_id,
        "actor": actor,
        "action": action,
        "before": before,
        "after": after,
        "reason": reason,
        "data": data,
        "at": at,
    }
    digest = event_hash(seq=seq, prev_hash=head.hash, **fields)
    conn.execute(_INSERT, {"seq": seq, "prev_hash": head.hash, "hash": digest, **fields})
    conn.execute(_ADVANCE, {"new_seq": seq, "new_hash": digest})
    return seq


def refused(
    *,
    session: Session,
    actor: str,
    attempt: str,
    error: CountersignError,
    at: datetime,
    proposal_id: str | None = None,
    state: str | None = None,
    **data: Any,
) -> int:
    """Append a refused attempt: who tried what, why it was refused, and the state it left as it was."""
    return append(
        session=session,
        actor=actor,
        action="refused",
        at=at,
        proposal_id=proposal_id,
        before=state,
        after=state,
        reason=error.message,
        data={"attempt": attempt, "error": type(error).__name__, **data},
    )


def for_proposal(*, session: Session, proposal_id: str) -> list[AuditEvent]:
    """A proposal's events in order."""
    stmt = select(AuditEvent).where(AuditEvent.proposal_id == proposal_id).order_by(col(AuditEvent.seq))
    return list(session.exec(stmt).all())


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    problem: str


def verify(*, session: Session, batch: int = 5000) -> Iterator[ChainBreak]:
    """Recompute the chain; yield every place where it does not hold."""
    prev, expected_seq, last_seq = GENESIS, 1, 0
    while True:
        stmt = select(AuditEvent).where(AuditEvent.seq > last_seq).order_by(col(AuditEvent.seq)).limit(batch)
        rows = session.exec(stmt).all()
        if not rows:
            break
        for ev in rows:
            if ev.seq != expected_seq:
                yield ChainBreak(ev.seq, f"missing events {expected_seq}..{ev.seq - 1}")
            if ev.prev_hash != prev:
                yield ChainBreak(ev.seq, "prev_hash does not match the previous event")
            recomputed = event_hash(
                seq=ev.seq,
                prev_hash=ev.prev_hash,
                proposal_id=ev.proposal_id,
                actor=ev.actor,
                action=ev.action,
                before=ev.before,
                after=ev.after,
                reason=ev.reason,
                data=ev.data,
                at=ev.at,
            )
            if recomputed != ev.hash:
                yield ChainBreak(ev.seq, "content was changed after it was written")
            prev, expected_seq, last_seq = ev.hash, ev.seq + 1, ev.seq
        session.expunge_all()
    head = session.exec(select(AuditHead).where(AuditHead.id == 1)).one()
    if head.seq != last_seq or head.hash != prev:
        yield ChainBreak(head.seq, f"chain ends at event {last_seq} but the head says {head.seq}: events were removed")
