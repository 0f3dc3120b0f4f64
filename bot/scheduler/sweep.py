"""The sweep: claim due work under a lease and hand each item to the flow that does it."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta

import structlog
from sqlmodel import Session, col, select

from bot.enums import WorkKind
from bot.errors import InvalidTransition
from bot.flow import callbacks, digest_work, execute, lifecycle, notify
from bot.flow.context import Services
from bot.flow.outbox import SLACK_KINDS, GiveUp, Retry, backoff
from bot.receipts import delivery as receipts
from bot.scheduler.pacing import (
    HOLD_MAX,
    HOLD_PER_CHANNEL,
    MEMORY_RETRIES,
    MEMORY_WAIT,
    RECLAIM_SECONDS,
    Held,
    Pacer,
    Waiting,
)
from bot.scheduler.pools import PER_WORKFLOW, POOLED_KINDS, WorkPools
from bot.store import due
from bot.store.db import is_postgres, read_scope, session_scope
from bot.store.models import DueWork, Proposal

log = structlog.get_logger(__name__)
Handler = Callable[[Services, DueWork], object]


def _pid(item: DueWork) -> str:
    """The proposal an item is about (every proposal-bound kind has one; a row without it is a bug, not a None)."""
    if item.proposal_id is None:
        raise GiveUp(f"{item.kind} item {item.id} names no proposal")
    return item.proposal_id


def _id(item: DueWork) -> int:
    if item.id is None:  # claimed rows come from the database, so they always have one
        raise ValueError("a due work item without an id was claimed")
    return item.id


def _escalate(svc: Services, item: DueWork) -> None:
    with contextlib.suppress(InvalidTransition):  # decided before the step came due: nothing to escalate
        lifecycle.escalate(svc, proposal_id=_pid(item), actor="countersign", level=item.data["level"])


HANDLERS: Mapping[str, Handler] = {
    WorkKind.EXECUTE: lambda svc, item: receipts.with_receipt(svc, _pid(item), execute.run),
    WorkKind.SLACK_POST: lambda svc, item: notify.post(svc, proposal_id=_pid(item), attempt=item.attempts),
    WorkKind.SLACK_UPDATE: lambda svc, item: notify.update(svc, proposal_id=_pid(item), attempt=item.attempts),
    WorkKind.SLACK_NOTE: lambda svc, item: notify.note(
        svc, proposal_id=_pid(item), data=item.data, attempt=item.attempts
    ),
    WorkKind.REMIND: lambda svc, item: lifecycle.remind(svc, proposal_id=_pid(item), n=item.data["n"]),
    WorkKind.ESCALATE: _escalate,
    WorkKind.EXPIRE: lambda svc, item: lifecycle.expire(svc, proposal_id=_pid(item)),
    WorkKind.CALLBACK: lambda svc, item: callbacks.deliver(
        svc, proposal_id=_pid(item), event=item.data["event"], attempt=item.attempts
    ),
    WorkKind.DIGEST: lambda svc, item: digest_work.run_item(
        svc, period=item.data["period"], workflow=item.data["workflow"], attempt=item.attempts
    ),
    WorkKind.DIGEST_CHART: lambda svc, item: digest_work.chart_item(
        svc, period=item.data["period"], workflow=item.data["workflow"], attempt=item.attempts
    ),
}


def _workflows(s: Session, proposal_ids: list[str]) -> dict[str, str]:
    """proposal id -> workflow, for the per-workflow share of a pool."""
    if not proposal_ids:
        return {}
    rows = s.exec(select(Proposal.id, Proposal.workflow).where(col(Proposal.id).in_(proposal_ids))).all()
    return {str(pid): str(wf) for pid, wf in rows}


def instance_name() -> str:
    """host:pid, so leases and logs say which replica holds what."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Sweeper:
    """Runs due work until none is due (or the time budget for claiming is spent). Safe to run in every replica."""

    def __init__(
        self,
        svc: Services,
        *,
        handlers: Mapping[str, Handler] | None = None,
        batch: int = 20,
        lease: timedelta | None = None,
        budget_seconds: float = 300.0,
    ) -> None:
        self.svc, self.batch, self.budget = svc, batch, budget_seconds
        self.lease = lease or timedelta(seconds=svc.settings.lease_seconds)
        self.handlers = handlers or HANDLERS
        self.owner = svc.instance
        self.pacer = Pacer()  # kept across runs: a throttled channel stays paced between sweeps
        self._postgres = is_postgres(svc.engine)
        self._stopping = threading.Event()
        self.pools = WorkPools()
        self._done_in_pools = 0
        self._next_dispatch = 0.0
        self._next_renewal = 0.0

    def run_once(self) -> int:
        """Claim and run due items until none is left and none is running (or the budget is spent); returns how
        many were run.

        Slack messages run here one at a time in claim order, except those to a channel Slack has rate-limited:
        they wait in memory for their turn (bot.scheduler.pacing) while the items behind them go ahead. Other work
        runs in its own bounded pool (bot.scheduler.pools) meanwhile, so slow targets never hold up the rest."""
        done, deadline, next_claim = 0, time.monotonic() + self.budget, 0.0
        self._done_in_pools, self._next_dispatch = 0, 0.0
        waiting = Waiting()
        while not self._stopping.is_set():
            if self.pools.finished.is_set():  # a pooled item ended: it may have queued more work (a Slack note)
                self.pools.finished.clear()
                next_claim, self._next_dispatch = 0.0, 0.0
            self._renew_running()
            if time.monotonic() < deadline:
                self._dispatch()
            held, ready_at = waiting.take(self.pacer)
            if held is None:
                now = time.monotonic()
                if now < deadline and now >= next_claim and len(waiting) < HOLD_MAX:
                    if self._claim(waiting):
                        continue
                    next_claim = now + RECLAIM_SECONDS  # nothing due: while items wait, look again a bit later
                if not len(waiting) and not self.pools.in_flight() and not self.pools.finished.is_set():
                    break
                self.pools.finished.wait(min(RECLAIM_SECONDS, max(0.0, ready_at - time.monotonic())))
                continue
            if not self._still_ours(held.item, held.claimed_at):
                continue
            self.pacer.sending(held.channel)
            paced = self._run(held.item, in_memory=held.throttled < MEMORY_RETRIES)
            if paced is not None:  # Slack said 429 for this channel: the item waits its turn at the head
                if not self.pacer.any_paced():  # from now on, know where each waiting message goes
                    waiting.set_channels(notify.message_channels(self.svc, [h.item for h in waiting]))
                self.pacer.throttled(paced.channel or "", paced.after.total_seconds())
                waiting.add(Held(held.item, held.claimed_at, paced.channel, held.throttled + 1), first=True)
                continue
            done += 1
        self._release(waiting)
        return done + self._done_in_pools

    def close(self) -> None:
        """Stop and wait for the items running in the pools (at shutdown; each call has its own deadline)."""
        self.stop()
        self.pools.shutdown()

    def _dispatch(self) -> None:
        """Claim, for each pool, as many due items as it has free slots and start them (at most every
        RECLAIM_SECONDS while nothing new is due, at once when a slot frees up)."""
        now = time.monotonic()
        if now < self._next_dispatch:
            return
        claimed_any = False
        for pool in self.pools.pools:
            free = self.pools.free(pool)
            if free <= 0:
                continue
            with session_scope(self.svc.engine) as s:
                items = due.claim(
                    session=s,
                    owner=self.owner,
                    now=self.svc.clock.now(),
                    lease=self.lease,
                    limit=free,
                    only_kinds=pool.kinds,
                    skip_proposals=self.pools.busy_proposals(),
                    skip_workflows=self.pools.full_workflows(pool),
                )
                workflows = _workflows(s, [i.proposal_id for i in items if i.proposal_id])
            seen: set[str] = set()
            for item in items:
                workflow = workflows.get(item.proposal_id or "")
                # one item per proposal at a time, and at most PER_WORKFLOW slots per workflow: the rest goes back
                if (item.proposal_id and item.proposal_id in seen) or self.pools.for_workflow(
                    pool, workflow
                ) >= PER_WORKFLOW:
                    self._release([Held(item, self.svc.clock.now(), None)])
                    continue
                seen.add(item.proposal_id or "")
                self.pools.submit(pool, item, workflow, self._run_pooled)
                claimed_any = True
        self._next_dispatch = now if claimed_any else now + RECLAIM_SECONDS

    def _run_pooled(self, item: DueWork) -> None:
        self._run(item)
        self._done_in_pools += 1  # a plain int += under the GIL: only read once run_once is over

    def _renew_running(self) -> None:
        """Keep the leases of long calls in the pools (a replica must not take over a call still running)."""
        now = time.monotonic()
        if now < self._next_renewal:
            return
        self._next_renewal = now + self.lease.total_seconds() / 3
        running = self.pools.running()
        if running:
            with session_scope(self.svc.engine) as s:
                for item in running:
                    due.renew(
                        session=s, item_id=_id(item), owner=self.owner, now=self.svc.clock.now(), lease=self.lease
                    )

    def stop(self) -> None:
        """Make a running sweep return after its current item (shutdown); waiting items are released."""
        self._stopping.set()

    def _claim(self, waiting: Waiting) -> bool:
        """Lease more due items into `waiting`; False when none is due."""
        claimed_at = self.svc.clock.now()
        if not self._postgres:  # SQLite has one writer: look first, so an idle sweep never queues for the lock
            with read_scope(self.svc.engine) as s:
                if not due.any_due(session=s, now=claimed_at, skip_kinds=(*self._unrunnable(), *POOLED_KINDS)):
                    return False
        with session_scope(self.svc.engine) as s:
            items = due.claim(
                session=s,
                owner=self.owner,
                now=claimed_at,
                lease=self.lease,
                limit=self.batch,
                skip_kinds=(*self._unrunnable(), *POOLED_KINDS),
            )
        if not items:
            return False
        # Where each message goes matters only while some channel is paced (one read per batch then).
        channels = notify.message_channels(self.svc, items) if self.pacer.any_paced() else {}
        for item in items:
            if waiting.reclaimed(_id(item), claimed_at):
                continue
            channel = channels.get(_id(item))
            if channel and self.pacer.paced(channel) and waiting.for_channel(channel) >= HOLD_PER_CHANNEL:
                self._release(
                    [Held(item, claimed_at, channel)],
                    turn=self.pacer.ready_at(channel)
                    - time.monotonic()
                    + waiting.for_channel(channel) * self.pacer.interval,
                )
            else:
                waiting.add(Held(item, claimed_at, channel))
        return True

    def _release(self, held: Iterable[Held], turn: float = 0.0) -> None:
        """Give claimed items back unrun (lease dropped, attempt not counted), due again in `turn` seconds."""
        ids = [_id(h.item) for h in held]
        if ids:
            with session_scope(self.svc.engine) as s:
                due.release(
                    session=s,
                    item_ids=ids,
                    owner=self.owner,
                    due_at=self.svc.clock.now() + timedelta(seconds=turn) if turn > 0 else None,
                )

    def _still_ours(self, item: DueWork, claimed_at: datetime) -> bool:
        """Renew the lease of an item that waited long in its batch; skip it if another replica took it meanwhile.

        The batch was leased as a whole, so slow calls early in it can outlive the lease of items further down.
        Within the first half of the lease nobody else can hold it, so the common case costs no query."""
        now = self.svc.clock.now()
        if now - claimed_at < self.lease / 2:
            return True
        with session_scope(self.svc.engine) as s:
            kept = due.renew(session=s, item_id=_id(item), owner=self.owner, now=now, lease=self.lease)
        if not kept:
            log.warning(
                "due work taken over by another replica while waiting in this batch",
                kind=item.kind,
                item=_id(item),
                proposal=item.proposal_id,
            )
        return kept

    def _unrunnable(self) -> tuple[str, ...]:
        """Without Slack, Slack work waits untouched (still counted in /metrics) until Slack is configured."""
        return SLACK_KINDS if self.svc.notifier is None else ()

    def _run(self, item: DueWork, *, in_memory: bool = False) -> Retry | None:
        """Run one item and record the outcome; a 429 for a Slack channel is returned instead when `in_memory`."""
        handler = self.handlers.get(item.kind)
        try:
            if handler is None:
                raise GiveUp(f"no handler for due work of kind {item.kind!r}")
            handler(self.svc, item)
        except Retry as exc:
            if in_memory and exc.channel and exc.after <= MEMORY_WAIT:
                return exc
            self._retry(item, exc.error, exc.after)
        except GiveUp as exc:
            self._give_up(item, str(exc))
        except Exception as exc:  # one bad item must never stop the sweep; it is recorded and retried
            log.exception("due work failed", kind=item.kind, item=_id(item), proposal=item.proposal_id)
            self._retry(item, f"{type(exc).__name__}: {exc}", backoff(item.attempts))
        else:
            with session_scope(self.svc.engine) as s:
                due.complete(session=s, item_id=_id(item), owner=self.owner, now=self.svc.clock.now())
        return None

    def _retry(self, item: DueWork, error: str, after: timedelta) -> None:
        if item.attempts >= item.max_attempts:
            self._give_up(item, f"{error} (after {item.attempts} attempts)")
            return
        log.info(
            "due work will retry",
            kind=item.kind,
            item=_id(item),
            proposal=item.proposal_id,
            error=error,
            retry_in=after.total_seconds(),
        )
        with session_scope(self.svc.engine) as s:
            due.reschedule(
                session=s, item_id=_id(item), owner=self.owner, due_at=self.svc.clock.now() + after, error=error
            )

    def _give_up(self, item: DueWork, error: str) -> None:
        log.error("due work abandoned", kind=item.kind, item=_id(item), proposal=item.proposal_id, error=error)
        with session_scope(self.svc.engine) as s:
            due.kill(session=s, item_id=_id(item), owner=self.owner, now=self.svc.clock.now(), error=error)
