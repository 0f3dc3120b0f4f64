"""Due work of the monthly digest: what the cron job and the start-up catch-up queue, and what the sweep runs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from bot.digest.period import Period, latest_due
from bot.enums import WorkKind
from bot.errors import NotFound
from bot.flow import digest
from bot.flow.context import Services
from bot.flow.outbox import GiveUp, Retry, backoff
from bot.flow.ports import NotifyError
from bot.store import digests, due
from bot.store.db import session_scope

NOT_CONFIGURED_RETRY = timedelta(minutes=15)
MAX_ATTEMPTS = 60  # with backoff capped at 15 minutes: about half a day of Slack trouble before it is dead
T = TypeVar("T")


def enqueue_due(svc: Services) -> list[str]:
    """Queue the newest due month's digest of every workflow not posted yet (cron job and start-up catch-up)."""
    # The dedupe key makes this idempotent: replicas firing together, or a restart the same day, queue it once.
    now, zone = svc.clock.now(), svc.settings.zone
    period = latest_due(now, zone)
    queued = []
    with session_scope(svc.engine) as s:
        for name in sorted(svc.policies.workflows):
            found = digests.get(session=s, period=period.key, workflow=name)
            if (found is not None and found.state == "posted") or not digests.had_proposals(
                session=s, workflow=name, before=period.end(zone)
            ):
                continue
            if due.enqueue(
                session=s,
                kind=WorkKind.DIGEST,
                due_at=now,
                now=now,
                data={"period": period.key, "workflow": name},
                max_attempts=MAX_ATTEMPTS,
                dedupe_key=f"digest:{period.key}:{name}",
            ):
                queued.append(name)
    if queued:
        svc.kick()
    return queued


def run_item(svc: Services, *, period: str, workflow: str, attempt: int) -> None:
    """Sweep handler for `digest`: post it, or wait for the replica that holds the claim."""
    posting = _slack_call(lambda: digest.run(svc, period=Period.parse(period), workflow=workflow), attempt)
    if posting.state == "busy":
        left = (posting.lease_until - svc.clock.now()) if posting.lease_until else timedelta(0)
        raise Retry(f"digest is being posted by {posting.claimed_by}", max(left, timedelta(seconds=1)))


def chart_item(svc: Services, *, period: str, workflow: str, attempt: int) -> None:
    """Sweep handler for `digest_chart`: upload the chart if the inline attempt did not."""
    _slack_call(lambda: digest.attach_chart(svc, period=Period.parse(period), workflow=workflow), attempt)


def _slack_call(fn: Callable[[], T], attempt: int) -> T:
    """Slack trouble becomes a retry (or gives up when retrying cannot help); a vanished workflow gives up."""
    try:
        return fn()
    except digest.SlackNotConfigured as exc:
        raise Retry(exc.message, NOT_CONFIGURED_RETRY) from exc
    except NotFound as exc:
        raise GiveUp(exc.message) from exc
    except NotifyError as exc:
        if not exc.retryable:
            raise GiveUp(str(exc)) from exc
        raise Retry(str(exc), timedelta(seconds=exc.retry_after) if exc.retry_after else backoff(attempt)) from exc
