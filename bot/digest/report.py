"""DigestReport: everything one workflow's monthly digest says, built from the database and its policy."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy.engine import Engine

from bot.digest import stats
from bot.digest.criteria import Judgement, judge
from bot.digest.figures import Stats
from bot.digest.period import Period
from bot.digest.suggest import Suggestion, suggest
from bot.policy import WorkflowPolicy
from bot.store.db import read_scope


class DigestReport(BaseModel):
    """One workflow's month: figures, last month's for comparison, criteria, suggestions, review state."""

    workflow: str
    period: str
    label: str
    owner: str
    review_channel: str
    mode: str
    timezone: str
    generated_at: datetime
    current: Stats
    previous: Stats
    criteria: list[Judgement]
    suggestions: list[Suggestion]
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None

    @property
    def is_empty(self) -> bool:
        """True when the workflow had no proposals this month."""
        return self.current.total == 0


def build(engine: Engine, wf: WorkflowPolicy, period: Period, zone: ZoneInfo, now: datetime) -> DigestReport:
    """Aggregate `period` and the month before for `wf` and judge it against its policy."""
    last = period.previous()
    with read_scope(engine) as session:  # a snapshot that never blocks writers on SQLite
        conn = session.connection()
        current = stats.collect(
            conn, workflow=wf.name, start=period.start(zone), end=period.end(zone), days=period.day_starts(zone)
        )
        previous = stats.collect(conn, workflow=wf.name, start=last.start(zone), end=last.end(zone), detail=False)
    return DigestReport(
        workflow=wf.name,
        period=period.key,
        label=period.label,
        owner=wf.owner,
        review_channel=wf.review_channel,
        mode=wf.mode,
        timezone=zone.key,
        generated_at=now,
        current=current,
        previous=previous,
        criteria=judge(wf.success_criteria, current, shadow=wf.mode == "shadow"),
        suggestions=suggest(wf, current, previous),
    )


def window(engine: Engine, wf: WorkflowPolicy, *, start: datetime, end: datetime, mode: str | None) -> Stats:
    """Figures for an arbitrary window (the shadow report's "so far")."""
    with read_scope(engine) as session:
        return stats.collect(session.connection(), workflow=wf.name, start=start, end=end, mode=mode)
