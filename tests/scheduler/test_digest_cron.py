"""The monthly digest job: when it fires, and what it queues, in the configured time zone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FakeClock
from bot.flow.context import Services
from bot.scheduler.runner import DIGEST_JOB, SchedulerRunner, digest_trigger
from tests.digest.rows import insert, row
from tests.factories import make_services, write_policies

PARIS = ZoneInfo("Europe/Paris")


def firings(zone: ZoneInfo, start: datetime, count: int) -> list[datetime]:
    trigger, out, last = digest_trigger(zone), [], None
    now = start
    for _ in range(count):
        last = trigger.get_next_fire_time(last, now)
        out.append(last)
        now = last + timedelta(seconds=1)
    return out


def test_the_job_fires_at_nine_local_on_the_first_three_days_of_each_month() -> None:
    fired = firings(PARIS, datetime(2026, 10, 31, 12, tzinfo=PARIS), 4)
    november = [datetime(2026, 11, d, 9, tzinfo=PARIS) for d in (1, 2, 3)]
    assert fired == [*november, datetime(2026, 12, 1, 9, tzinfo=PARIS)]
    assert [f.astimezone(UTC).hour for f in fired] == [8, 8, 8, 8]  # CET
    summer = firings(ZoneInfo("America/New_York"), datetime(2026, 7, 15, tzinfo=UTC), 1)
    assert summer == [datetime(2026, 8, 1, 13, tzinfo=UTC)]  # 09:00 EDT


@pytest.fixture
def paris(db_url: str, tmp_path: Path) -> Iterator[tuple[Services, FakeClock]]:
    clock = FakeClock(datetime(2026, 10, 31, 12, tzinfo=UTC))
    svc = make_services(db_url, write_policies(tmp_path / "policies"), clock=clock, timezone="Europe/Paris")
    yield svc, clock
    svc.engine.dispose()


def test_each_firing_queues_only_when_it_is_the_first_working_day(paris: tuple[Services, FakeClock]) -> None:
    svc, clock = paris
    insert(svc, row(at=datetime(2026, 10, 12, tzinfo=UTC), minutes=4))
    runner = SchedulerRunner(svc)
    assert runner.scheduler.get_job(DIGEST_JOB) is not None
    queued = {}
    for when in firings(PARIS, clock.now(), 3):  # Sun 1, Mon 2, Tue 3 November, 09:00 Paris
        clock.set(when)
        queued[when.day] = runner.queue_digests()
    assert queued == {1: [], 2: ["payouts"], 3: []}  # Sunday is no working day; Tuesday finds it queued


def test_just_before_nine_on_the_day_nothing_is_due_yet(paris: tuple[Services, FakeClock]) -> None:
    svc, clock = paris
    insert(svc, row(at=datetime(2026, 10, 12, tzinfo=UTC), minutes=4))
    clock.set(datetime(2026, 11, 2, 8, 59, 59, tzinfo=PARIS))
    assert SchedulerRunner(svc).queue_digests() == []
    clock.advance(seconds=1)
    assert SchedulerRunner(svc).queue_digests() == ["payouts"]
