"""Due-work outcomes shared by the flow handlers and the sweep that runs them."""

from __future__ import annotations

from datetime import timedelta

from bot.enums import WorkKind

# Due work that talks to Slack: it waits untouched while Slack is not configured.
SLACK_KINDS = (WorkKind.SLACK_POST, WorkKind.SLACK_UPDATE, WorkKind.SLACK_NOTE)


class Retry(Exception):
    """Try this due item again after `after` (the error is recorded on the item).

    `channel`: Slack rate-limited messages to this channel; the sweep holds this item and the channel's other
    messages in memory for `after` and paces them, instead of rescheduling them in the table one by one."""

    def __init__(self, error: str, after: timedelta, *, channel: str | None = None) -> None:
        super().__init__(error)
        self.error, self.after, self.channel = error, after, channel


class GiveUp(Exception):
    """Stop retrying this due item; it stays in the table as dead, with the error, for a human to see."""


def backoff(attempt: int, *, base: float = 5.0, cap: float = 900.0) -> timedelta:
    """Exponential backoff: 5 s, 10 s, 20 s ... capped at 15 minutes."""
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempt - 1)))
