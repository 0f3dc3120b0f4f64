"""Months in the configured zone, the first working day, and when each digest is due."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.digest.period import Period, digest_due_at, first_working_day, latest_due
from bot.errors import CountersignError

PARIS, NEW_YORK, TOKYO = ZoneInfo("Europe/Paris"), ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [
        (2026, 11, date(2026, 11, 2)),  # Sunday the 1st -> Monday the 2nd
        (2026, 8, date(2026, 8, 3)),  # Saturday the 1st -> Monday the 3rd
        (2026, 10, date(2026, 10, 1)),  # a Thursday
        (2027, 5, date(2027, 5, 3)),  # Saturday again, in another year
        (2027, 1, date(2027, 1, 1)),  # a Friday (public holidays are not known)
    ],
)
def test_first_working_day(year: int, month: int, expected: date) -> None:
    assert first_working_day(year, month) == expected


def test_digest_is_due_at_nine_local_on_the_first_working_day_of_the_next_month() -> None:
    assert digest_due_at(Period(2026, 10), PARIS) == datetime(2026, 11, 2, 9, 0, tzinfo=PARIS)
    assert digest_due_at(Period(2026, 10), PARIS) == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)  # CET, UTC+1
    assert digest_due_at(Period(2026, 5), PARIS) == datetime(2026, 6, 1, 7, 0, tzinfo=UTC)  # CEST, UTC+2
    assert digest_due_at(Period(2026, 12), NEW_YORK) == datetime(2027, 1, 1, 14, 0, tzinfo=UTC)  # year boundary
    assert digest_due_at(Period(2026, 7), TOKYO) == datetime(2026, 8, 3, 0, 0, tzinfo=UTC)


def test_latest_due_switches_at_nine_on_the_day() -> None:
    before = datetime(2026, 11, 2, 7, 59, tzinfo=UTC)  # 08:59 in Paris
    assert latest_due(before, PARIS) == Period(2026, 9)
    assert latest_due(datetime(2026, 11, 2, 8, 0, tzinfo=UTC), PARIS) == Period(2026, 10)
    # 23:30 UTC on 31 October is already November 1st in Paris, but the Sunday is no working day
    assert latest_due(datetime(2026, 10, 31, 23, 30, tzinfo=UTC), PARIS) == Period(2026, 9)
    assert latest_due(datetime(2026, 12, 20, tzinfo=UTC), PARIS) == Period(2026, 11)


def test_month_bounds_are_local_midnights_and_days_survive_dst() -> None:
    october = Period.parse("2026-10")
    assert (october.start(PARIS), october.end(PARIS)) == (
        datetime(2026, 9, 30, 22, tzinfo=UTC),
        datetime(2026, 10, 31, 23, tzinfo=UTC),
    )
    days = october.day_starts(PARIS)
    assert len(days) == 32
    assert days[0] == october.start(PARIS)
    assert days[-1] == october.end(PARIS)
    assert (days[24], days[25]) == (datetime(2026, 10, 24, 22, tzinfo=UTC), datetime(2026, 10, 25, 23, tzinfo=UTC))
    assert days[25] - days[24] == timedelta(hours=25)  # clocks go back on Sunday 25 October
    assert Period.containing(datetime(2026, 10, 31, 23, 30, tzinfo=UTC), PARIS) == Period(2026, 11)


def test_period_parsing_and_neighbours() -> None:
    assert Period.parse("2026-01").previous() == Period(2025, 12)
    assert Period.parse("2025-12").next() == Period(2026, 1)
    assert (Period(2026, 10).key, Period(2026, 10).label) == ("2026-10", "October 2026")
    for bad in ("2026-13", "26-10", "October", "2026/10", ""):
        with pytest.raises(CountersignError, match="2026-10"):
            Period.parse(bad)
