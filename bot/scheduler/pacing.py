"""Slack messages paced per channel inside the sweep, so one rate-limited channel never holds up the others.

Slack allows about one message per second per channel (short bursts tolerated) and answers 429 with Retry-After
beyond that. Once a channel has been answered 429, its messages wait in memory for their turn, one per
POST_INTERVAL, while due work for other channels goes ahead; the pacing lapses when the channel has been quiet for
PACED_FOR seconds. Channels Slack has not throttled are not paced at all.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.store.models import DueWork

POST_INTERVAL = 1.0  # seconds between two messages to a throttled channel (Slack: ~1 per second per channel)
PACE_BURST = 2.0  # messages a throttled channel may receive back to back after a pause (Slack tolerates short bursts)
MARGIN = 0.1  # seconds added to Retry-After, so the first message after it does not arrive a hair too early
PACED_FOR = 60.0  # a throttled channel stays paced until it has been quiet this long
HOLD_MAX = 500  # claimed items waiting in memory at most (each is checked against its lease before it runs)
HOLD_PER_CHANNEL = 20  # beyond this many waiting for one channel, more go back to the table until their turn
MEMORY_RETRIES = 5  # 429s absorbed in memory per item; after that the item is rescheduled in the table
RECLAIM_SECONDS = 0.25  # while items wait for their turn and nothing else is due, look for new work this often
MEMORY_WAIT = timedelta(seconds=30)  # a longer Retry-After is waited for in the table, not in memory


class Pacer:
    """A token bucket per throttled channel (monotonic seconds): one message per POST_INTERVAL, bursts of
    PACE_BURST. A sweep that falls behind catches up from the saved tokens, so the rate holds on average."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        interval: float = POST_INTERVAL,
        paced_for: float = PACED_FOR,
        burst: float = PACE_BURST,
    ) -> None:
        self.clock, self.interval, self.paced_for, self.burst = clock, interval, paced_for, burst
        self._tokens: dict[str, tuple[float, float]] = {}  # channel -> (tokens, at)
        self._until: dict[str, float] = {}

    def paced(self, channel: str | None) -> bool:
        """True while the channel is being paced."""
        return channel is not None and self._until.get(channel, 0.0) > self.clock()

    def any_paced(self) -> bool:
        """True while some channel is being paced."""
        now = self.clock()
        return any(until > now for until in self._until.values())

    def _level(self, channel: str, now: float) -> float:
        tokens, at = self._tokens.get(channel, (self.burst, now))
        return min(self.burst, tokens + (now - at) / self.interval)

    def ready_at(self, channel: str | None, now: float | None = None) -> float:
        """When the channel may receive a message (`now` for channels that are not paced)."""
        now = self.clock() if now is None else now
        if channel is None or self._until.get(channel, 0.0) <= now:
            return now
        return now + max(0.0, 1.0 - self._level(channel, now)) * self.interval

    def sending(self, channel: str | None) -> None:
        """A message to the channel starts now."""
        if channel is not None and self.paced(channel):
            now = self.clock()
            self._tokens[channel] = (self._level(channel, now) - 1.0, now)
            self._until[channel] = now + self.paced_for

    def throttled(self, channel: str, retry_after: float) -> None:
        """Slack answered 429: the next message waits `retry_after` (and a small margin), then one per interval."""
        now, wait = self.clock(), max(retry_after, self.interval) + MARGIN
        self._tokens[channel] = (1.0 - wait / self.interval, now)
        self._until[channel] = now + wait + self.paced_for


@dataclass
class Held:
    """A claimed item waiting its turn: when it was claimed (for the lease check) and the channel it posts in."""

    item: DueWork
    claimed_at: datetime
    channel: str | None
    throttled: int = 0  # 429s absorbed in memory so far


class Waiting:
    """Claimed items not run yet, in claim order. An item runs after every earlier item of the same proposal and
    of the same channel (so messages keep their order) and once its channel is not paced or its turn has come."""

    def __init__(self) -> None:
        self._held: list[Held] = []

    def __len__(self) -> int:
        return len(self._held)

    def __iter__(self) -> Iterator[Held]:
        return iter(list(self._held))

    def reclaimed(self, item_id: int, claimed_at: datetime) -> bool:
        """True if the item already waits here: its lease lapsed while it waited and this sweep claimed it again.
        It keeps its place, with the new claim's lease; queuing it twice would run it twice."""
        for held in self._held:
            if held.item.id == item_id:
                held.claimed_at = claimed_at
                return True
        return False

    def add(self, held: Held, *, first: bool = False) -> None:
        """Queue an item (first: put back at the head, keeping its place before later ones)."""
        if first:
            self._held.insert(0, held)
        else:
            self._held.append(held)

    def set_channels(self, channels: dict[int, str]) -> None:
        """Fill in the channel of waiting items that did not know it (item id -> channel)."""
        for held in self._held:
            if held.channel is None and held.item.id in channels:
                held.channel = channels[held.item.id]

    def for_channel(self, channel: str) -> int:
        """How many items wait for the channel."""
        return sum(1 for h in self._held if h.channel == channel)

    def take(self, pacer: Pacer) -> tuple[Held | None, float]:
        """The first item free to run now and removed from the queue; else None and when one may be free."""
        now, soonest = pacer.clock(), math.inf
        blocked: set[str] = set()
        for i, held in enumerate(self._held):
            keys = {f"p:{held.item.proposal_id or '-'}", *([f"c:{held.channel}"] if held.channel else [])}
            if keys & blocked:
                blocked |= keys
                continue
            at = pacer.ready_at(held.channel, now)  # the same `now`: a fresh clock reading is always later
            if at <= now:
                del self._held[i]
                return held, now
            soonest = min(soonest, at)
            blocked |= keys
        return None, soonest
