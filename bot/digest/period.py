"""Calendar months in the configured time zone, and when each month's digest is due."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.errors import CountersignError

DIGEST_TIME = time(9, 0)  # local time on the first working day of the following month
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class Period:
    """One calendar month, e.g. Period(2026, 10) is October 2026 ("2026-10")."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse "YYYY-MM" or raise CountersignError saying what is expected."""
        match = _MONTH.match(text.strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise CountersignError(f"month must look like 2026-10, got {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def containing(cls, moment: datetime, zone: ZoneInfo) -> Period:
        """The month that `moment` falls in, seen from `zone`."""
        local = moment.astimezone(zone)
        return cls(local.year, local.month)

    @property
    def key(self) -> str:
        """ "YYYY-MM", the form stored in DigestRun.period."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        """ "October 2026"."""
        return date(self.year, self.month, 1).strftime("%B %Y")

    def previous(self) -> Period:
        """The month before."""
        return Period(self.year - 1, 12) if self.month == 1 else Period(self.year, self.month - 1)

    def next(self) -> Period:
        """The month after."""
        return Period(self.year + 1, 1) if self.month == 12 else Period(self.year, self.month + 1)

    def start(self, zone: ZoneInfo) -> datetime:
        """Local midnight on the 1st, as UTC."""
        return datetime(self.year, self.month, 1, tzinfo=zone).astimezone(UTC)

    def end(self, zone: ZoneInfo) -> datetime:
        """Start of the next month, as UTC (the range is half-open)."""
        return self.next().start(zone)

    def day_starts(self, zone: ZoneInfo) -> list[datetime]:
        """Local midnight of every day of the month plus the next month's first, as UTC (DST-safe)."""
        first = date(self.year, self.month, 1)
        days = (date(self.next().year, self.next().month, 1) - first).days
        return [datetime.combine(first + timedelta(d), time(), tzinfo=zone).astimezone(UTC) for d in range(days + 1)]


def first_working_day(year: int, month: int) -> date:
    """The first Monday-to-Friday of the month (public holidays are not known here)."""
    day = date(year, month, 1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def digest_due_at(period: Period, zone: ZoneInfo) -> datetime:
    """When `period`'s digest is due: 09:00 local on the first working day of the following month, as UTC."""
    after = period.next()
    local = datetime.combine(first_working_day(after.year, after.month), DIGEST_TIME, tzinfo=zone)
    return local.astimezone(UTC)


def latest_due(now: datetime, zone: ZoneInfo) -> Period:
    """The newest month whose digest is already due at `now` (last month, or the one before before 09:00 on the day)."""
    last = Period.containing(now, zone).previous()
    return last if now >= digest_due_at(last, zone) else last.previous()
