"""Monthly figures of one workflow, aggregated in SQL (GROUP BY, conditional SUM, ORDER BY ... OFFSET).

Rows are never loaded into Python: each query returns a handful of grouped rows, whatever the volume.
The same statements run on SQLite and PostgreSQL; derived groupings go through a subquery so PostgreSQL
never has to match a bound expression in GROUP BY against the one in SELECT.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.engine import Connection

from bot.digest.figures import ActionTally, Ranked, Stats
from bot.enums import ExecutionStatus, ProposalKind, ProposalStatus, Route
from bot.store.models import Proposal

P = Proposal.__table__.c  # type: ignore[attr-defined]  # the Core columns, for plain SELECTs
HUMAN_DECIDED = ("approved", "rejected")
TOP = 3
OUTCOMES = ("approved_unedited", "approved_edited", "rejected", "expired", "cancelled", "pending")
SHADOW_KEYS = {
    "approved_unedited": "shadow_agree",
    "approved_edited": "shadow_edited",
    "rejected": "shadow_rejected",
    "expired": "shadow_expired",
}
TEXT_KEY = 200  # errors and reasons are grouped on their first 200 characters


def collect(
    conn: Connection,
    *,
    workflow: str,
    start: datetime,
    end: datetime,
    mode: str | None = None,
    days: list[datetime] | None = None,
    detail: bool = True,
) -> Stats:
    """Every figure of `workflow` for proposals created in [start, end) (`mode`: only live or shadow ones)."""
    # `days` (day starts plus the end) adds the per-day series; last month only serves the comparison, so the
    # caller passes detail=False there and skips two queries.
    where = [P.workflow == workflow, P.created_at >= start, P.created_at < end]
    if mode:
        where.append(P.mode == mode)
    stats = Stats(start=start, end=end)
    for row in conn.execute(_grouped(where)).mappings():
        _tally(stats, row)
    stats.p50_seconds, stats.p90_seconds = _percentiles(conn, where, stats.timed, (0.5, 0.9))
    if detail:
        stats.top_errors = _top(
            conn, [*where, P.execution_status == ExecutionStatus.FAILED], P.execution_error, lower=False
        )
        stats.top_reasons = _top(
            conn,
            [*where, P.status == ProposalStatus.REJECTED, P.kind == ProposalKind.PROPOSAL],
            P.decision_reason,
            lower=True,
        )
    if days:
        stats.daily = _daily(conn, where, days)
    return stats


def _grouped(where: list[Any]) -> Select[Any]:
    """One scan: counts by every dimension the digest needs, plus escalation and timing sums."""
    dims = [P.action, P.kind, P.route, P.status, P.edited, P.execution_status, P.mode, P.rule_index]
    return (
        select(
            *dims,
            func.count().label("n"),
            func.coalesce(func.sum(P.escalations), 0).label("escalations"),
            func.sum(case((P.escalations > 0, 1), else_=0)).label("escalated"),
            func.sum(case((P.decision_seconds.is_not(None), 1), else_=0)).label("timed"),
        )
        .where(*where)
        .group_by(*dims)
    )


def _tally(s: Stats, row: Any) -> None:
    """Fold one grouped row into the totals."""
    n, status, route, kind = int(row["n"]), row["status"], row["route"], row["kind"]
    s.total += n
    s.by_route[route] = s.by_route.get(route, 0) + n
    s.by_kind[kind] = s.by_kind.get(kind, 0) + n
    s.escalations += int(row["escalations"])
    if route == Route.APPROVE:
        s.human_routed += n
        s.escalated += int(row["escalated"])
    s.exec_succeeded += n if row["execution_status"] == "succeeded" else 0
    s.exec_failed += n if row["execution_status"] == "failed" else 0
    if kind == ProposalKind.HANDOFF:
        s.handoffs_taken += n if status == ProposalStatus.TAKEN else 0
        return
    if status in HUMAN_DECIDED:
        s.timed += int(row["timed"])
    _tally_decision(s, status, bool(row["edited"]), n, shadow=row["mode"] == "shadow")
    _tally_action(s.actions.setdefault(row["action"], ActionTally()), row, n)


def _tally_decision(s: Stats, status: str, edited: bool, n: int, *, shadow: bool) -> None:
    """Outcome counters of proposals that went to people (shadow ones also count as agreement data)."""
    key = ("approved_edited" if edited else "approved_unedited") if status == ProposalStatus.APPROVED else status
    if key not in OUTCOMES:
        return  # auto_approved / denied: decided by policy, not by people
    setattr(s, key, getattr(s, key) + n)
    if shadow and key in SHADOW_KEYS:
        setattr(s, SHADOW_KEYS[key], getattr(s, SHADOW_KEYS[key]) + n)


def _tally_action(a: ActionTally, row: Any, n: int) -> None:
    a.total += n
    if row["status"] in HUMAN_DECIDED:
        a.decided += n
        a.approved_unedited += n if row["status"] == "approved" and not row["edited"] else 0
    if row["rule_index"] is not None:
        a.rules[int(row["rule_index"])] = a.rules.get(int(row["rule_index"]), 0) + n


def _percentiles(conn: Connection, where: list[Any], n: int, ps: tuple[float, ...]) -> list[float | None]:
    """Nearest-rank percentiles of time to decision among human decisions (the ceil(p*n)-th smallest), one sort."""
    if n == 0:
        return [None] * len(ps)
    ranks = [max(1, math.ceil(p * n)) for p in ps]
    rank = func.row_number().over(order_by=P.decision_seconds).label("rank")
    inner = (
        select(P.decision_seconds.label("v"), rank)
        .where(*where, P.kind == ProposalKind.PROPOSAL, P.status.in_(HUMAN_DECIDED), P.decision_seconds.is_not(None))
        .subquery()
    )
    found = dict(conn.execute(select(inner.c.rank, inner.c.v).where(inner.c.rank.in_(sorted(set(ranks))))).all())
    return [None if found.get(r) is None else float(found[r]) for r in ranks]


def _top(conn: Connection, where: list[Any], column: Any, *, lower: bool) -> list[Ranked]:
    """The most frequent texts (errors, rejection reasons), most frequent first, ties alphabetical."""
    text: Any = func.coalesce(func.trim(column), "")
    key: Any = func.substr(func.lower(text) if lower else text, 1, TEXT_KEY)
    if conn.dialect.name == "postgresql":  # byte order, as SQLite compares, whatever the database's locale
        text, key = text.collate("C"), key.collate("C")
    inner = select(key.label("k"), text.label("t")).where(*where).subquery()
    stmt = (
        select(func.min(inner.c.t).label("t"), func.count().label("n"))
        .group_by(inner.c.k)
        .order_by(func.count().desc(), func.min(inner.c.t))
        .limit(TOP)
    )
    return [Ranked(text=t or "(no text given)", count=int(n)) for t, n in conn.execute(stmt)]


def _daily(conn: Connection, where: list[Any], days: list[datetime]) -> list[dict[str, int]]:
    """Proposals per local day and outcome; `days` are the day starts (UTC) plus the end."""
    day = case(*[(P.created_at < bound, i) for i, bound in enumerate(days[1:])], else_=len(days) - 2)
    outcome = case(
        (P.route == Route.AUTO, "auto"),
        (P.route == Route.DENY, "denied"),
        ((P.status == ProposalStatus.APPROVED) & P.edited, "edited"),
        (P.status == ProposalStatus.APPROVED, "approved"),
        (P.status == ProposalStatus.REJECTED, "rejected"),
        (P.status == ProposalStatus.EXPIRED, "expired"),
        else_="other",
    )
    inner = select(day.label("d"), outcome.label("o")).where(*where).subquery()
    stmt = select(inner.c.d, inner.c.o, func.count()).group_by(inner.c.d, inner.c.o)
    series: list[dict[str, int]] = [{} for _ in days[1:]]
    for d, o, n in conn.execute(stmt):
        series[int(d)][str(o)] = int(n)
    return series
