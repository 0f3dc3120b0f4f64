"""Events API event_ids taken on: the first delivery of an event wins, in any replica; later ones are skipped."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

import structlog
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import col

from bot.store.db import session_scope
from bot.store.models import SlackEvent

RETENTION = timedelta(days=1)  # Slack retries an event 3 times within about 5 minutes, then gives up
log = structlog.get_logger(__name__)


def take_on(engine: Engine, *, event_id: str, now: datetime) -> bool:
    """Record event_id as being handled; False when it already was (here or by another replica)."""
    try:
        with session_scope(engine) as session:
            session.add(SlackEvent(event_id=event_id, received_at=now))
    except IntegrityError:
        return False
    _prune(engine, before=now - RETENTION)
    return True


def _prune(engine: Engine, *, before: datetime) -> None:
    # Best effort: a failed prune (say, two replicas deleting the same rows) is retried with the next event.
    with contextlib.suppress(SQLAlchemyError), session_scope(engine) as session:
        session.execute(delete(SlackEvent).where(col(SlackEvent.received_at) < before))
