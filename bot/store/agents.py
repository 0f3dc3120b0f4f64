"""Queries on agents (API clients)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Row, bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.store.db import table
from bot.store.models import Agent


def insert(
    *, session: Session, name: str, token_hash: str, token_prefix: str, scopes: list[str], now: datetime
) -> Agent:
    """Store a new agent."""
    agent = Agent(name=name, token_hash=token_hash, token_prefix=token_prefix, scopes=scopes, created_at=now)
    session.add(agent)
    session.flush()
    return agent


_t = table(Agent).c
# Every API call authenticates: a prebuilt Core statement skips the ORM's per-call work.
_IDENTITY = sa_select(_t.name, _t.scopes, _t.revoked_at).where(_t.token_hash == bindparam("token_hash"))


def by_token_hash(*, session: Session, token_hash: str) -> Row[str, list[str], datetime | None] | None:
    """(name, scopes, revoked_at) of the agent owning this token hash, revoked or not."""
    return session.connection().execute(_IDENTITY, {"token_hash": token_hash}).first()


def by_name(*, session: Session, name: str) -> Agent | None:
    """The agent with this name."""
    return session.exec(select(Agent).where(Agent.name == name)).first()


def all_agents(*, session: Session) -> Sequence[Agent]:
    """Every agent, oldest first."""
    return session.exec(select(Agent).order_by(col(Agent.id))).all()
