"""Queries on proposals and approvals. Transitions are single conditional UPDATEs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.enums import ProposalStatus
from bot.store.db import changed_rows, table
from bot.store.models import Approval, Proposal

_INSERT = insert(table(Proposal))  # built once: intake is the hot path, so skip the ORM's per-call work


def insert_row(*, session: Session, row: dict[str, Any]) -> None:
    """Store a new proposal from its column values."""
    session.connection().execute(_INSERT, row)


def get(*, session: Session, proposal_id: str) -> Proposal | None:
    """One proposal by id."""
    return session.get(Proposal, proposal_id)


def where_posted(*, session: Session, proposal_ids: Sequence[str]) -> Sequence[Any]:
    """(id, kind, workflow, action, thread_channel, thread_ts, slack_channel) of each proposal: where it is shown."""
    stmt = sa_select(_c.id, _c.kind, _c.workflow, _c.action, _c.thread_channel, _c.thread_ts, _c.slack_channel)
    return session.execute(stmt.where(_c.id.in_(list(proposal_ids)))).all()


def get_locked(*, session: Session, proposal_id: str) -> Proposal | None:
    """One proposal, row-locked until commit on PostgreSQL (SQLite transactions are already exclusive)."""
    stmt = select(Proposal).where(Proposal.id == proposal_id).with_for_update()
    return session.exec(stmt.execution_options(populate_existing=True)).first()


_c = table(Proposal).c
_BY_KEY = sa_select(_c.id).where(_c.agent == bindparam("agent"), _c.idempotency_key == bindparam("key"))
_SAME_CONTENT = (
    sa_select(_c.id)
    .where(_c.content_hash == bindparam("h"), _c.agent == bindparam("agent"), _c.created_at >= bindparam("since"))
    .order_by(_c.created_at.desc())
    .limit(1)
)


def by_idempotency_key(*, session: Session, agent: str, key: str) -> Proposal | None:
    """The proposal an agent already made with this idempotency key."""
    found = session.connection().execute(_BY_KEY, {"agent": agent, "key": key}).scalar()
    return None if found is None else session.get(Proposal, found)


def latest_same_content(*, session: Session, content_hash: str, agent: str, since: datetime) -> str | None:
    """Id of the agent's newest proposal with the same workflow, action and payload created after `since` (only
    the agent's own: it may read no other, so naming one would tell it what another agent proposed)."""
    return session.connection().execute(_SAME_CONTENT, {"h": content_hash, "agent": agent, "since": since}).scalar()


def transition(
    *, session: Session, proposal_id: str, column: str, before: Sequence[str], after: str, values: dict[str, Any]
) -> bool:
    """Move `column` from one of `before` to `after` in one conditional UPDATE; True if this caller won."""
    stmt = (
        update(Proposal)
        .where(col(Proposal.id) == proposal_id, getattr(Proposal, column).in_(list(before)))
        .values({column: after, **values})
    )
    won = changed_rows(session, stmt) == 1
    session.expire_all()  # later reads in this transaction must see the new row
    return won


def set_fields(*, session: Session, proposal_id: str, values: dict[str, Any]) -> None:
    """Update plain (non-state) fields."""
    session.execute(update(Proposal).where(col(Proposal.id) == proposal_id).values(values))
    session.expire_all()


def add_approval(*, session: Session, proposal_id: str, user: str, version: int, at: datetime) -> bool:
    """Record one user's approval of one payload version; False if they already approved it."""
    try:
        with session.begin_nested():
            session.add(Approval(proposal_id=proposal_id, user=user, version=version, at=at))
    except IntegrityError:
        return False
    return True


def approvals(*, session: Session, proposal_id: str, version: int | None = None) -> Sequence[Approval]:
    """Approvals of a proposal (of one version when given), oldest first."""
    stmt = select(Approval).where(Approval.proposal_id == proposal_id)
    if version is not None:
        stmt = stmt.where(Approval.version == version)
    return session.exec(stmt.order_by(col(Approval.at), col(Approval.id))).all()


def count_approvals(*, session: Session, proposal_id: str, version: int) -> int:
    """Distinct approvers of this payload version."""
    stmt = select(func.count(func.distinct(Approval.user))).where(
        Approval.proposal_id == proposal_id, Approval.version == version
    )
    return int(session.exec(stmt).one())


def pending(*, session: Session, workflow: str | None = None, limit: int = 200) -> Sequence[Proposal]:
    """Undecided proposals and handoffs, oldest first."""
    stmt = select(Proposal).where(Proposal.status == ProposalStatus.PENDING)
    if workflow:
        stmt = stmt.where(Proposal.workflow == workflow)
    return session.exec(stmt.order_by(col(Proposal.created_at)).limit(limit)).all()


def at_message(*, session: Session, channel: str, ts: str) -> Sequence[Proposal]:
    """Proposals whose Slack message is (channel, ts), or that were posted in the thread started by it."""
    stmt = select(Proposal).where(
        Proposal.slack_channel == channel, or_(col(Proposal.slack_ts) == ts, col(Proposal.thread_ts) == ts)
    )
    return session.exec(stmt.order_by(col(Proposal.created_at))).all()
