"""Events API redeliveries: handled unless this event_id was already taken on (by any replica).

Slack redelivers an event (X-Slack-Retry-Num) when it saw no ack in 3 seconds or got an error. The first
delivery may never have arrived, so the retry is the only copy: it is handled. Only an event_id recorded in the
database (bot/store/slack_events.py) is skipped, whether the repeat carries the retry header or not."""

from __future__ import annotations

from collections.abc import Callable

import structlog
from slack_bolt import BoltRequest, BoltResponse

from bot.flow.context import Services
from bot.store import slack_events

log = structlog.get_logger(__name__)
Middleware = Callable[[BoltRequest, Callable[[], BoltResponse | None]], BoltResponse | None]


def once_per_event(svc: Services) -> Middleware:
    """Bolt middleware (it runs after Bolt verified the signature: forged requests never reach the table)."""

    def once(request: BoltRequest, next: Callable[[], BoltResponse | None]) -> BoltResponse | None:
        body = request.body if isinstance(request.body, dict) else {}
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if not isinstance(event_id, str) or not event_id:
            return next()
        if not slack_events.take_on(svc.engine, event_id=event_id, now=svc.clock.now()):
            retry = ",".join(request.headers.get("x-slack-retry-num") or [])
            log.info("slack event already handled; repeat skipped", event_id=event_id, retry=retry)
            return BoltResponse(status=200, body="")
        return next()  # Bolt's `next` runs the rest of the chain and the listener; it returns None

    return once
