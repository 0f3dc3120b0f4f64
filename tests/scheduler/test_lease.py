"""Leases on due work: an item whose lease lapsed while its batch was running is never run by two replicas."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlmodel import select

from bot.clock import FakeClock
from bot.config import Settings
from bot.scheduler.sweep import Sweeper
from bot.store import due
from bot.store.db import session_scope
from bot.store.models import DueWork
from tests.factories import make_services, write_policies


def test_an_item_whose_lease_lapsed_in_a_slow_batch_runs_once(db_url: str, tmp_path: Path, clock: FakeClock) -> None:
    """Replica A claims three items under one 5-minute lease; each call takes 3 minutes. Replica B sweeps at 5.5
    minutes, when the batch's lease has lapsed: it may take the item A has not started, and A must then skip it."""
    svc = make_services(db_url, write_policies(tmp_path / "policies"), clock=clock)
    with session_scope(svc.engine) as s:
        for n in (1, 2, 3):
            due.enqueue(session=s, kind="probe", due_at=clock.now(), now=clock.now(), data={"n": n})
    runs: list[tuple[str, int]] = []
    replica_b = Sweeper(
        replace(svc, instance="replica-b"), handlers={"probe": lambda _s, item: runs.append(("b", item.data["n"]))}
    )

    def three_minute_call(_svc: object, item: object) -> None:
        n = item.data["n"]  # type: ignore[attr-defined]
        runs.append(("a", n))
        if n == 2:
            clock.advance(minutes=2.5)
            replica_b.run_once()  # the other replica's sweep, while A is busy with item 2
            clock.advance(minutes=0.5)
        elif n == 1:
            clock.advance(minutes=3)

    Sweeper(replace(svc, instance="replica-a"), handlers={"probe": three_minute_call}).run_once()
    with session_scope(svc.engine) as s:
        states = sorted((w.data["n"], w.state, w.lease_owner) for w in s.exec(select(DueWork)).all())
    svc.engine.dispose()
    assert sorted(runs) == [("a", 1), ("a", 2), ("b", 3)]  # item 2 kept its lease while A ran it; 3 ran once
    assert states == [(1, "done", "replica-a"), (2, "done", "replica-a"), (3, "done", "replica-b")]


def test_a_long_batch_keeps_its_items_when_no_other_replica_is_around(
    db_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    svc = make_services(db_url, write_policies(tmp_path / "policies"), clock=clock)
    with session_scope(svc.engine) as s:
        for n in range(3):
            due.enqueue(session=s, kind="probe", due_at=clock.now(), now=clock.now(), data={"n": n})
    seen: list[int] = []

    def each_takes_three_minutes(_svc: object, item: object) -> None:
        seen.append(item.data["n"])  # type: ignore[attr-defined]
        clock.advance(minutes=3)  # the batch as a whole outlives the lease; no other replica is around

    Sweeper(svc, handlers={"probe": each_takes_three_minutes}).run_once()
    svc.engine.dispose()
    assert seen == [0, 1, 2]


def test_lease_length_is_a_setting() -> None:
    assert Settings(_env_file=None).lease_seconds == 300
    assert Settings(_env_file=None, COUNTERSIGN_LEASE_SECONDS="7").lease_seconds == 7
