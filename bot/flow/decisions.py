"""Decisions: wakes long-polls (GET /proposals/{id}/wait) when a proposal gets its final decision.

A waiter costs no database work while it waits. The flow that decides calls `announce` inside its transaction;
after the commit every waiter of this process for that proposal is woken, and on PostgreSQL a NOTIFY sent in
the same transaction (so delivered only if it commits) wakes the waiters of every other replica, through one
LISTEN connection per process. A slow safety check (one query for all waited proposals every
SAFETY_POLL_SECONDS) catches anything a lost connection or another writer (the CLI on SQLite) did not announce.
Waits per agent are bounded in each process (COUNTERSIGN_MAX_WAITS_PER_AGENT); beyond that, 429.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Iterable
from typing import Any

import psycopg
import structlog
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.enums import ProposalStatus
from bot.errors import TooManyRequests
from bot.store.db import is_postgres, read_scope
from bot.store.models import Proposal

log = structlog.get_logger(__name__)
CHANNEL = "countersign_decisions"
SAFETY_POLL_SECONDS = 5.0
LISTEN_SLICE_SECONDS = 1.0  # how long the listener blocks at a time (so shutdown is prompt)
RECONNECT_SECONDS = 1.0
RETRY_AFTER_SECONDS = 5
_CHECK_CHUNK = 500
_ANNOUNCED = "countersign_decided"  # Session.info key: proposals decided in the session's transaction


class TooManyWaits(TooManyRequests):
    """The agent already has as many long-polls open as it may (in this process)."""

    def __init__(self, agent: str, limit: int) -> None:
        waits = "1 wait" if limit == 1 else f"{limit} waits"
        super().__init__(
            f"agent {agent} already has {waits} open (COUNTERSIGN_MAX_WAITS_PER_AGENT); retry after "
            f"{RETRY_AFTER_SECONDS} seconds or use callback_url",
            retry_after=RETRY_AFTER_SECONDS,
        )


_Waiter = tuple[asyncio.AbstractEventLoop, asyncio.Event]


class Decisions:
    """The per-process hub: waiters by proposal id, the LISTEN connection and the safety check."""

    def __init__(
        self, engine: Engine, *, max_waits_per_agent: int, safety_poll_seconds: float = SAFETY_POLL_SECONDS
    ) -> None:
        self.engine, self.max_waits_per_agent = engine, max_waits_per_agent
        self.safety_poll_seconds = safety_poll_seconds
        self._postgres = is_postgres(engine)
        self._lock = threading.Lock()
        self._waiters: dict[str, set[_Waiter]] = {}
        self._per_agent: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = threading.Event()  # set while the LISTEN connection is up (tests and doctor can wait on it)

    # -- the deciding side -------------------------------------------------------------------------------------

    def announce(self, session: Session, proposal_id: str) -> None:
        """Call inside the transaction that gave the proposal its final decision: its waiters wake on commit."""
        if self._postgres:  # queued by PostgreSQL until commit, dropped on rollback
            session.execute(text("SELECT pg_notify(:channel, :id)"), {"channel": CHANNEL, "id": proposal_id})
        pending = session.info.setdefault(_ANNOUNCED, set())
        if not pending:
            event.listen(session, "after_commit", self._after_commit)
            event.listen(session, "after_rollback", self._after_rollback)
        pending.add(proposal_id)

    def _after_commit(self, session: Session) -> None:
        if session.in_nested_transaction():  # a savepoint was released; the decision is not committed yet
            return
        self.wake(session.info.pop(_ANNOUNCED, ()))

    def _after_rollback(self, session: Session) -> None:
        if not session.in_nested_transaction():  # the whole transaction rolled back: nothing was decided
            session.info.pop(_ANNOUNCED, None)

    def wake(self, proposal_ids: Iterable[str]) -> None:
        """Wake every waiter of this process for these proposals (safe from any thread)."""
        with self._lock:
            woken = [w for pid in proposal_ids for w in self._waiters.get(pid, ())]
        for loop, flag in woken:
            with contextlib.suppress(RuntimeError):  # that event loop has closed: its waiter is gone
                loop.call_soon_threadsafe(flag.set)

    # -- the waiting side --------------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def waiting(self, proposal_id: str, agent: str) -> AsyncIterator[asyncio.Event]:
        """An event set when the proposal may have been decided (check it after subscribing, then on each set).

        TooManyWaits when the agent already holds COUNTERSIGN_MAX_WAITS_PER_AGENT waits in this process."""
        waiter: _Waiter = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            if self._per_agent.get(agent, 0) >= self.max_waits_per_agent:
                raise TooManyWaits(agent, self.max_waits_per_agent)
            self._per_agent[agent] = self._per_agent.get(agent, 0) + 1
            self._waiters.setdefault(proposal_id, set()).add(waiter)
            self._start_watching()
        try:
            yield waiter[1]
        finally:
            with self._lock:
                self._per_agent[agent] -= 1
                if not self._per_agent[agent]:
                    del self._per_agent[agent]
                waiters = self._waiters[proposal_id]
                waiters.discard(waiter)
                if not waiters:
                    del self._waiters[proposal_id]

    def waits(self) -> int:
        """How many long-polls are open in this process."""
        with self._lock:
            return sum(self._per_agent.values())

    # -- the watcher thread ------------------------------------------------------------------------------------

    def _start_watching(self) -> None:  # called with the lock held
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._watch, name="countersign-decisions", daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Stop the watcher thread (at shutdown); the next waiter starts it again."""
        self._stop.set()
        thread = self._thread
        if thread is not None:
            thread.join(LISTEN_SLICE_SECONDS + 5)

    def _watch(self) -> None:
        next_check = time.monotonic() + self.safety_poll_seconds
        while not self._stop.is_set():
            if self._postgres:
                try:
                    self._listen_until(next_check)
                except Exception:  # the database went away: reconnect, and recheck everything meanwhile
                    self.listening.clear()
                    log.warning("decision listener lost its connection; reconnecting", exc_info=True)
                    self._stop.wait(RECONNECT_SECONDS)
                    next_check = 0.0
            else:
                self._stop.wait(max(0.0, next_check - time.monotonic()))
            if time.monotonic() >= next_check and not self._stop.is_set():
                self._safety_check()
                next_check = time.monotonic() + self.safety_poll_seconds
        self.listening.clear()

    _conn: Any = None

    def _listen_until(self, until: float) -> None:
        if self._conn is None or self._conn.closed:
            url = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            self._conn = psycopg.connect(url, autocommit=True, connect_timeout=3)
            self._conn.execute(f"LISTEN {CHANNEL}")
            self.listening.set()
            self.wake(self._waited())  # anything decided while not listening
        try:
            while not self._stop.is_set() and time.monotonic() < until:
                slice_ = min(LISTEN_SLICE_SECONDS, max(0.01, until - time.monotonic()))
                ids = [n.payload for n in self._conn.notifies(timeout=slice_)]
                if ids:
                    self.wake(ids)
        finally:
            if self._stop.is_set():
                self._conn.close()
                self._conn = None

    def _waited(self) -> list[str]:
        with self._lock:
            return list(self._waiters)

    def _safety_check(self) -> None:
        """Wake the waiters of proposals decided without an announcement reaching this process."""
        ids = self._waited()
        try:
            for i in range(0, len(ids), _CHECK_CHUNK):
                chunk = ids[i : i + _CHECK_CHUNK]
                with read_scope(self.engine) as s:
                    decided = s.exec(
                        select(Proposal.id).where(
                            col(Proposal.id).in_(chunk), col(Proposal.status) != ProposalStatus.PENDING
                        )
                    ).all()
                self.wake(decided)
        except Exception:  # the database may be down; the next check tries again
            log.warning("decision safety check failed", exc_info=True)
