"""User-group membership from usergroups.users.list, cached with a TTL; errors never crash a click."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import structlog
from slack_sdk import WebClient

from bot.errors import CountersignError
from bot.slack.client import SlackFailure, slack_call
from bot.words import plural

log = structlog.get_logger(__name__)
TTL_SECONDS = 300.0
MAX_STALE_SECONDS = 3600.0


class GroupUnavailable(CountersignError):
    """A user group Slack has not let us read for longer than the cache may be used."""

    status_code = 503


class SlackDirectory:
    """The flow's Directory port: who is in a user group, asked once per TTL per group.

    A list Slack cannot refresh is used for at most `max_stale` seconds after it was read; after that the group
    fails closed (GroupUnavailable) rather than trusting a membership that may have been revoked."""

    def __init__(
        self,
        client: WebClient,
        *,
        ttl: float = TTL_SECONDS,
        max_stale: float = MAX_STALE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client, self.ttl, self.max_stale, self.clock = client, ttl, max_stale, clock
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}  # group -> (fresh until, members)
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def members(self, usergroup: str) -> frozenset[str]:
        """Members of the group; on a Slack error the last known list (or nobody), logged."""
        cached = self._cache.get(usergroup)
        if cached and self.clock() < cached[0]:
            return cached[1]
        with self._lock_for(usergroup):  # fifty clicks at once ask Slack once
            cached = self._cache.get(usergroup)
            if cached and self.clock() < cached[0]:
                return cached[1]
            try:
                with slack_call():
                    users = frozenset(self.client.usergroups_users_list(usergroup=usergroup)["users"])
            except SlackFailure as exc:
                read_at = cached[0] - self.ttl if cached else None
                usable = read_at is not None and self.clock() - read_at <= self.max_stale
                log.warning(
                    "could not read user group",
                    usergroup=usergroup,
                    error=exc.code,
                    using_last_known=usable,
                )
                if cached and usable:
                    return cached[1]
                since = "" if cached is None else f" for over {_minutes(self.max_stale)}"
                raise GroupUnavailable(
                    f"Slack has not let me read the members of user group {usergroup}{since}, so decisions "
                    "through that group are refused until it does; please try again in a few minutes",
                    usergroup=usergroup,
                ) from exc
            self._cache[usergroup] = (self.clock() + self.ttl, users)
            return users

    def _lock_for(self, usergroup: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(usergroup, threading.Lock())


def _minutes(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return plural(minutes, "minute")
