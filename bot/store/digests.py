"""Queries on digest runs: one row per (period, workflow), claimed under a lease, then posted, then reviewed."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.store.db import changed_rows
from bot.store.models import DigestRun, Proposal


def _key(period: str, workflow: str) -> Any:
    return (col(DigestRun.period) == period) & (col(DigestRun.workflow) == workflow)


def get(*, session: Session, period: str, workflow: str, lock: bool = False) -> DigestRun | None:
    """The run of one digest (row-locked until commit when `lock`)."""
    stmt = select(DigestRun).where(_key(period, workflow))
    if lock:
        stmt = stmt.with_for_update()
    return session.exec(stmt.execution_options(populate_existing=True)).first()


def claim(*, session: Session, period: str, workflow: str, owner: str, now: datetime, lease: timedelta) -> bool:
    """Become the one poster of this digest: a new row, or a claim whose lease lapsed. False if posted or busy."""
    try:
        with session.begin_nested():
            session.add(
                DigestRun(period=period, workflow=workflow, state="claimed", claimed_by=owner, lease_until=now + lease)
            )
        return True
    except IntegrityError:
        pass  # the unique (period, workflow) key: someone claimed it first
    stmt = (
        update(DigestRun)
        .where(
            _key(period, workflow),
            col(DigestRun.state) == "claimed",
            or_(col(DigestRun.lease_until).is_(None), col(DigestRun.lease_until) <= now),
        )
        .values(claimed_by=owner, lease_until=now + lease)
    )
    return changed_rows(session, stmt) == 1


def release(*, session: Session, period: str, workflow: str, owner: str) -> None:
    """Give up a claim after a failure, so the retry (from any replica) can take it at once."""
    session.execute(
        update(DigestRun)
        .where(_key(period, workflow), col(DigestRun.claimed_by) == owner, col(DigestRun.state) == "claimed")
        .values(lease_until=None)
    )


def record_posted(
    *, session: Session, period: str, workflow: str, owner: str, channel: str, ts: str, now: datetime, data: Any
) -> bool:
    """Mark the digest posted; False if `owner` no longer held the claim (its lease lapsed meanwhile)."""
    stmt = (
        update(DigestRun)
        .where(_key(period, workflow), col(DigestRun.claimed_by) == owner, col(DigestRun.state) == "claimed")
        .values(state="posted", channel=channel, ts=ts, posted_at=now, lease_until=None, data=data)
    )
    return changed_rows(session, stmt) == 1


def record_chart(*, session: Session, period: str, workflow: str, now: datetime) -> bool:
    """Note that the chart was uploaded; False if it already was."""
    stmt = (
        update(DigestRun)
        .where(_key(period, workflow), col(DigestRun.chart_posted_at).is_(None))
        .values(chart_posted_at=now)
    )
    return changed_rows(session, stmt) == 1


def record_review(*, session: Session, period: str, workflow: str, user: str, now: datetime) -> bool:
    """Record the first reviewer; False when someone already reviewed it."""
    stmt = (
        update(DigestRun)
        .where(_key(period, workflow), col(DigestRun.state) == "posted", col(DigestRun.reviewed_by).is_(None))
        .values(reviewed_by=user, reviewed_at=now)
    )
    won = changed_rows(session, stmt) == 1
    session.expire_all()
    return won


def had_proposals(*, session: Session, workflow: str, before: datetime) -> bool:
    """True if the workflow received any proposal before `before` (a brand-new install has nothing to digest)."""
    stmt = select(Proposal.id).where(Proposal.workflow == workflow, Proposal.created_at < before).limit(1)
    return session.exec(stmt).first() is not None
