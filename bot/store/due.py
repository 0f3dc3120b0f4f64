"""The outbox: enqueue side effects with a due time; sweeps claim them under a lease."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.enums import DueState
from bot.store.db import changed_rows, is_postgres, table
from bot.store.models import DueWork, Proposal


def enqueue(
    *,
    session: Session,
    kind: str,
    due_at: datetime,
    now: datetime,
    proposal_id: str | None = None,
    data: Any = None,
    dedupe_key: str | None = None,
    max_attempts: int = 10,
) -> bool:
    """Add due work; with a dedupe_key, a second enqueue of the same key is a no-op (returns False)."""
    row = DueWork(
        kind=kind,
        proposal_id=proposal_id,
        data=data,
        due_at=due_at,
        created_at=now,
        dedupe_key=dedupe_key,
        max_attempts=max_attempts,
    )
    if dedupe_key is None:
        session.add(row)
        session.flush()
        return True
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


_INSERT = insert(table(DueWork))


def enqueue_new(*, session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert due work for a proposal created in this transaction (its dedupe keys cannot exist yet)."""
    if rows:
        session.connection().execute(
            _INSERT,
            [
                {
                    "state": DueState.PENDING,
                    "attempts": 0,
                    "max_attempts": 10,
                    "data": None,
                    "dedupe_key": None,
                    "lease_owner": None,
                    "lease_until": None,
                    "last_error": None,
                    "done_at": None,
                    **row,
                }
                for row in rows
            ],
        )


def _ready(
    now: datetime,
    skip_kinds: Sequence[str],
    only_kinds: Sequence[str] = (),
    skip_proposals: Sequence[str] = (),
    skip_workflows: Sequence[str] = (),
) -> Any:
    ready = select(DueWork.id).where(
        DueWork.state == DueState.PENDING,
        DueWork.due_at <= now,
        or_(col(DueWork.lease_until).is_(None), col(DueWork.lease_until) < now),
    )
    if skip_kinds:
        ready = ready.where(col(DueWork.kind).not_in(list(skip_kinds)))
    if only_kinds:
        ready = ready.where(col(DueWork.kind).in_(list(only_kinds)))
    if skip_proposals:
        ready = ready.where(col(DueWork.proposal_id).not_in(list(skip_proposals)))
    if skip_workflows:
        of_workflows = select(Proposal.id).where(col(Proposal.workflow).in_(list(skip_workflows)))
        ready = ready.where(col(DueWork.proposal_id).not_in(of_workflows))
    return ready


def any_due(*, session: Session, now: datetime, skip_kinds: Sequence[str] = ()) -> bool:
    """True if claim() would find something (a read: on SQLite it does not take the write lock)."""
    return session.exec(_ready(now, skip_kinds).limit(1)).first() is not None


def claim(
    *,
    session: Session,
    owner: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    skip_kinds: Sequence[str] = (),
    only_kinds: Sequence[str] = (),
    skip_proposals: Sequence[str] = (),
    skip_workflows: Sequence[str] = (),
) -> Sequence[DueWork]:
    """Lease up to `limit` due items to `owner`; replicas never get the same item while a lease holds.

    `only_kinds` narrows the claim to some kinds; `skip_proposals` and `skip_workflows` leave out the work of
    proposals (and workflows) that already have as much running as they may."""
    ready = _ready(now, skip_kinds, only_kinds, skip_proposals, skip_workflows)
    ready = ready.order_by(col(DueWork.due_at), col(DueWork.id)).limit(limit)
    if is_postgres(session):
        ready = ready.with_for_update(skip_locked=True)
    ids = list(session.exec(ready).all())
    if not ids:
        return []
    session.execute(
        update(DueWork)
        .where(col(DueWork.id).in_(ids))
        .values(lease_owner=owner, lease_until=now + lease, attempts=DueWork.attempts + 1)
    )
    session.expire_all()
    return session.exec(select(DueWork).where(col(DueWork.id).in_(ids)).order_by(col(DueWork.due_at))).all()


def _owned(item_id: int, owner: str) -> Any:
    return (col(DueWork.id) == item_id) & (col(DueWork.lease_owner) == owner) & (col(DueWork.state) == DueState.PENDING)


def renew(*, session: Session, item_id: int, owner: str, now: datetime, lease: timedelta) -> bool:
    """Extend `owner`'s lease from now; False if another replica took the item meanwhile (or it is finished)."""
    stmt = update(DueWork).where(_owned(item_id, owner)).values(lease_until=now + lease)
    return changed_rows(session, stmt) == 1


def release(*, session: Session, item_ids: Sequence[int], owner: str, due_at: datetime | None = None) -> int:
    """Give leased items back unrun: lease dropped, the claim's attempt not counted, due again at `due_at` (or as
    they were). Returns how many were still `owner`'s."""
    values: dict[str, Any] = {"lease_owner": None, "lease_until": None, "attempts": DueWork.attempts - 1}
    if due_at is not None:
        values["due_at"] = due_at
    stmt = (
        update(DueWork)
        .where(
            col(DueWork.id).in_(list(item_ids)),
            col(DueWork.lease_owner) == owner,
            col(DueWork.state) == DueState.PENDING,
        )
        .values(**values)
    )
    return changed_rows(session, stmt)


def complete(*, session: Session, item_id: int, owner: str, now: datetime) -> bool:
    """Mark done, only if `owner` still holds the lease (a replica whose lease lapsed must not double-report)."""
    stmt = update(DueWork).where(_owned(item_id, owner)).values(state=DueState.DONE, done_at=now, lease_until=None)
    return changed_rows(session, stmt) == 1


def reschedule(*, session: Session, item_id: int, owner: str, due_at: datetime, error: str) -> bool:
    """Release the lease and try again at `due_at`."""
    stmt = (
        update(DueWork)
        .where(_owned(item_id, owner))
        .values(due_at=due_at, lease_owner=None, lease_until=None, last_error=error[:4000])
    )
    return changed_rows(session, stmt) == 1


def kill(*, session: Session, item_id: int, owner: str, now: datetime, error: str) -> bool:
    """Give up on an item; it stays in the table, visible, with its last error."""
    stmt = (
        update(DueWork)
        .where(_owned(item_id, owner))
        .values(state=DueState.DEAD, done_at=now, lease_until=None, last_error=error[:4000])
    )
    return changed_rows(session, stmt) == 1


def for_proposal(*, session: Session, proposal_id: str, kind: str | None = None) -> Sequence[DueWork]:
    """A proposal's due work, in creation order."""
    stmt = select(DueWork).where(DueWork.proposal_id == proposal_id)
    if kind:
        stmt = stmt.where(DueWork.kind == kind)
    return session.exec(stmt.order_by(col(DueWork.id))).all()


def backlog(*, session: Session) -> dict[str, int]:
    """Count of pending and dead items by kind (for /metrics and doctor)."""
    from sqlalchemy import func

    stmt = (
        select(DueWork.kind, DueWork.state, func.count())
        .where(col(DueWork.state).in_([DueState.PENDING, DueState.DEAD]))
        .group_by(DueWork.kind, DueWork.state)
    )
    return {f"{kind}:{state}": n for kind, state, n in session.exec(stmt).all()}


def dead(*, session: Session, since: datetime | None = None, limit: int = 50) -> Sequence[DueWork]:
    """Items given up on, newest first (only those that died after `since`, when given)."""
    stmt = select(DueWork).where(DueWork.state == DueState.DEAD)
    if since is not None:
        stmt = stmt.where(col(DueWork.done_at) >= since)
    return session.exec(stmt.order_by(col(DueWork.done_at).desc(), col(DueWork.id).desc()).limit(limit)).all()
