"""The real service served over HTTP for agent-side tests, and a person deciding through the flow on another thread."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.app import create_app
from bot.clock import FakeClock
from bot.fakeslack import BackgroundServer
from bot.flow import decide, lifecycle
from bot.flow.context import Services
from bot.flow.edit import edit
from bot.store import proposals
from bot.store.db import read_scope
from bot.store.models import Proposal as Row
from countersign import AsyncCountersign, Countersign, Retry
from tests.factories import add_agent

FAST_RETRY = Retry(retries=50, backoff=0.01, max_backoff=0.1)  # quick, but patient enough to outlast an outage


@dataclass
class Live:
    """A running service, an agent token for it, and what tests need to look inside."""

    svc: Services
    server: BackgroundServer
    token: str
    clock: FakeClock

    @property
    def url(self) -> str:
        return self.server.url

    def client(self, url: str | None = None, token: str | None = None, **kw: Any) -> Countersign:
        kw.setdefault("retry", FAST_RETRY)
        return Countersign(url or self.url, token or self.token, **kw)

    def aclient(self, url: str | None = None, token: str | None = None, **kw: Any) -> AsyncCountersign:
        kw.setdefault("retry", FAST_RETRY)
        return AsyncCountersign(url or self.url, token or self.token, **kw)

    def count(self) -> int:
        """Proposals stored, all agents."""
        with read_scope(self.svc.engine) as s:
            return int(s.exec(select(func.count()).select_from(Row)).one())

    def rows(self) -> list[Row]:
        """Every stored proposal (this test's database only)."""
        with read_scope(self.svc.engine) as s:
            return list(s.exec(select(Row)).all())

    def row(self, proposal_id: str) -> Row:
        with read_scope(self.svc.engine) as s:
            row = proposals.get(session=s, proposal_id=proposal_id)
        assert row is not None
        return row


@pytest.fixture
def live(svc: Services, clock: FakeClock) -> Iterator[Live]:
    """The real app (agent API) on a real port, over the test database."""
    with BackgroundServer(create_app(services=svc, run_scheduler=False)) as server:
        yield Live(svc, server, add_agent(svc, scopes=("*",)), clock)


Act = Callable[[Services, str], object]


@dataclass
class Human:
    """Acts on each new pending proposal, in order, from a background thread, the way a person clicks in Slack."""

    svc: Services
    errors: list[BaseException] = field(default_factory=list)
    _threads: list[threading.Thread] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set)

    def then(self, act: Act, timeout: float = 30.0) -> None:
        """Run `act(svc, proposal_id)` as soon as a proposal nobody acted on yet is pending."""
        t = threading.Thread(target=self._run, args=(act, timeout), daemon=True)
        self._threads.append(t)
        t.start()

    def _run(self, act: Act, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                with read_scope(self.svc.engine) as s:
                    fresh = [p.id for p in proposals.pending(session=s) if p.id not in self._seen]
                if fresh:
                    self._seen.add(fresh[0])
                    self._act(act, fresh[0])
                    return
                time.sleep(0.02)
            raise AssertionError("no pending proposal appeared")
        except BaseException as exc:  # noqa: BLE001 - surfaced by join(), so a failed click fails the test
            self.errors.append(exc)

    def _act(self, act: Act, pid: str) -> None:
        try:
            act(self.svc, pid)
        except BaseException:
            # Withdraw it so the agent waiting on it wakes up now instead of at the test's time limit.
            with contextlib.suppress(Exception):
                lifecycle.cancel(self.svc, proposal_id=pid, agent=self.svc_agent(pid))
            raise

    def svc_agent(self, pid: str) -> str:
        with read_scope(self.svc.engine) as s:
            row = proposals.get(session=s, proposal_id=pid)
        return row.agent if row else ""

    def join(self) -> None:
        for t in self._threads:
            t.join(60)
        if self.errors:
            raise self.errors[0]


@pytest.fixture
def human(svc: Services) -> Iterator[Human]:
    h = Human(svc)
    yield h
    h.join()


def approve(user: str = "U0ALICE") -> Act:
    return lambda svc, pid: decide.approve(svc, proposal_id=pid, user=user)


def reject(reason: str, user: str = "U0BOB") -> Act:
    return lambda svc, pid: decide.reject(svc, proposal_id=pid, user=user, reason=reason)


def edit_and_approve(payload: dict[str, Any], user: str = "U0ALICE") -> Act:
    def act(svc: Services, pid: str) -> None:
        out = edit(svc, proposal_id=pid, user=user, payload=payload, version=None)
        decide.approve(svc, proposal_id=pid, user=user, version=out.proposal.version)

    return act
