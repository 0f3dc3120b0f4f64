"""User-group membership from usergroups.users.list, cached with a TTL; errors never crash a click."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import structlog
from slack_sdk import WebClient

from bot.slack.client import SlackFailure, slack_call

log = structlog.get_logger(__name__)
TTL_SECONDS = 300.0


class SlackDirectory:
    """The flow's Directory port: who is in a user group, asked once per TTL per group."""

    def __init__(
        self, client: WebClient, *, ttl: float = TTL_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.client, self.ttl, self.clock = client, ttl, clock
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}
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
                log.warning(
                    "could not read user group; treating it as known members only",
                    usergroup=usergroup,
                    error=exc.code,
                    known=bool(cached),
                )
                return cached[1] if cached else frozenset()
            self._cache[usergroup] = (self.clock() + self.ttl, users)
            return users

    def _lock_for(self, usergroup: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(usergroup, threading.Lock())
