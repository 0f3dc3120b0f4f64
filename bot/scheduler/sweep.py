"""The sweep: claim due work under a lease and hand each item to the flow that does it."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from datetime import timedelta

import structlog

from bot.errors import InvalidTransition
from bot.flow import callbacks, digest_work, execute, lifecycle, notify
from bot.flow.services import Services
from bot.flow.work import GiveUp, Retry, backoff
from bot.store import due
from bot.store.db import session_scope
from bot.store.models import DueWork

log = structlog.get_logger(__name__)
Handler = Callable[[Services, DueWork], object]
SLACK_KINDS = ("slack_post", "slack_update", "slack_note")


def _escalate(svc: Services, item: DueWork) -> None:
    try:
        lifecycle.escalate(svc, proposal_id=item.proposal_id, actor="countersign", level=item.data["level"])
    except InvalidTransition:
        pass  # decided before the step came due: nothing to escalate


HANDLERS: dict[str, Handler] = {
    "execute": lambda svc, item: execute.run(svc, proposal_id=item.proposal_id),
    "slack_post": lambda svc, item: notify.post(svc, proposal_id=item.proposal_id, attempt=item.attempts),
    "slack_update": lambda svc, item: notify.update(svc, proposal_id=item.proposal_id, attempt=item.attempts),
    "slack_note": lambda svc, item: notify.note(svc, proposal_id=item.proposal_id, data=item.data, attempt=item.attempts),
    "remind": lambda svc, item: lifecycle.remind(svc, proposal_id=item.proposal_id, n=item.data["n"]),
    "escalate": _escalate,
    "expire": lambda svc, item: lifecycle.expire(svc, proposal_id=item.proposal_id),
    "callback": lambda svc, item: callbacks.deliver(svc, proposal_id=item.proposal_id, event=item.data["event"],
                                                    attempt=item.attempts),
    "digest": lambda svc, item: digest_work.run_item(svc, period=item.data["period"],
                                                     workflow=item.data["workflow"], attempt=item.attempts),
    "digest_chart": lambda svc, item: digest_work.chart_item(svc, period=item.data["period"],
                                                             workflow=item.data["workflow"], attempt=item.attempts),
}


def instance_name() -> str:
    """host:pid, so leases and logs say which replica holds what."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Sweeper:
    """Runs due work until none is due (or the time budget is spent). Safe to run in every replica."""

    def __init__(self, svc: Services, *, handlers: dict[str, Handler] | None = None, batch: int = 20,
                 lease: timedelta = timedelta(minutes=5), budget_seconds: float = 30.0) -> None:
        self.svc, self.batch, self.lease, self.budget = svc, batch, lease, budget_seconds
        self.handlers = handlers or HANDLERS
        self.owner = svc.instance

    def run_once(self) -> int:
        """Claim and run due items until none is left; returns how many were run."""
        done, deadline = 0, time.monotonic() + self.budget
        while time.monotonic() < deadline:
            with session_scope(self.svc.engine) as s:
                items = due.claim(session=s, owner=self.owner, now=self.svc.clock.now(), lease=self.lease,
                                  limit=self.batch, skip_kinds=self._unrunnable())
            if not items:
                break
            for item in items:
                self._run(item)
                done += 1
        return done

    def _unrunnable(self) -> tuple[str, ...]:
        """Without Slack, Slack work waits untouched (still counted in /metrics) until Slack is configured."""
        return SLACK_KINDS if self.svc.notifier is None else ()

    def _run(self, item: DueWork) -> None:
        handler = self.handlers.get(item.kind)
        try:
            if handler is None:
                raise GiveUp(f"no handler for due work of kind {item.kind!r}")
            handler(self.svc, item)
        except Retry as exc:
            self._retry(item, exc.error, exc.after)
        except GiveUp as exc:
            self._give_up(item, str(exc))
        except Exception as exc:  # one bad item must never stop the sweep; it is recorded and retried
            log.exception("due work failed", kind=item.kind, item=item.id, proposal=item.proposal_id)
            self._retry(item, f"{type(exc).__name__}: {exc}", backoff(item.attempts))
        else:
            with session_scope(self.svc.engine) as s:
                due.complete(session=s, item_id=item.id, owner=self.owner, now=self.svc.clock.now())

    def _retry(self, item: DueWork, error: str, after: timedelta) -> None:
        if item.attempts >= item.max_attempts:
            self._give_up(item, f"{error} (after {item.attempts} attempts)")
            return
        log.info("due work will retry", kind=item.kind, item=item.id, proposal=item.proposal_id, error=error,
                 retry_in=after.total_seconds())
        with session_scope(self.svc.engine) as s:
            due.reschedule(session=s, item_id=item.id, owner=self.owner, due_at=self.svc.clock.now() + after,
                           error=error)

    def _give_up(self, item: DueWork, error: str) -> None:
        log.error("due work abandoned", kind=item.kind, item=item.id, proposal=item.proposal_id, error=error)
        with session_scope(self.svc.engine) as s:
            due.kill(session=s, item_id=item.id, owner=self.owner, now=self.svc.clock.now(), error=error)
