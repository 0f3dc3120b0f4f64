"""Slow targets cost only their own deadline and their own pool's slots: 20 agents whose callback_url answers one
byte at a time never hold up Slack posts or executions, and a call that trickles is cut at its total deadline."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot import targets
from bot.clock import FakeClock
from bot.enums import WorkKind
from bot.fakes.webhook_receiver import WebhookReceiver
from bot.flow import intake
from bot.flow.requests import ProposalRequest
from bot.scheduler.pools import PER_WORKFLOW
from bot.scheduler.sweep import Sweeper
from tests.factories import add_agent, make_services, proposal, write_policies
from tests.fakes.notifier import RecordingNotifier
from tests.flow.conftest import AGENT

TARPITS = 20


class Tarpit:
    """A loopback HTTP server answering one byte of a status line every `gap` seconds, never finishing."""

    def __init__(self, gap: float = 0.2) -> None:
        self.gap, self._stop = gap, threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        with conn:
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000:
                if self._stop.wait(self.gap):
                    return
                try:
                    conn.sendall(bytes([byte]))
                except OSError:
                    return

    def close(self) -> None:
        self._stop.set()
        self.sock.close()


@pytest.fixture
def tarpit() -> Iterator[Tarpit]:
    t = Tarpit()
    yield t
    t.close()


def test_a_trickling_target_is_cut_at_the_total_deadline(tarpit: Tarpit) -> None:
    # each byte comes well within the 1 s per-read timeout: only a deadline for the whole call ends it
    with pytest.raises(httpx.TimeoutException), targets.client(targets.TargetRules.parse("127.0.0.1"), timeout=1) as c:
        c.post(tarpit.url, content=b"{}")


def test_tarpit_callbacks_never_delay_slack_posts_or_executions(
    db_url: str, tmp_path: Path, receiver: WebhookReceiver, tarpit: Tarpit, clock: FakeClock
) -> None:
    notifier = RecordingNotifier()
    svc = make_services(
        db_url, write_policies(tmp_path / "p", webhook_url=receiver.url), clock=clock, notifier=notifier
    )
    add_agent(svc)  # callbacks are signed with the agent's key
    # auto-approved proposals whose agents listen on a tarpit: each queues an execution and a callback
    for i in range(TARPITS):
        body = proposal(payload={"to": f"slow{i}@example.com", "amount": 5}, callback_url=tarpit.url)
        intake.submit(svc, agent=AGENT, req=ProposalRequest.model_validate(body))
    # and proposals needing approval, without a callback: each needs a Slack post
    for i in range(5):
        body = proposal(payload={"to": f"fast{i}@example.com", "amount": 500})
        intake.submit(svc, agent=AGENT, req=ProposalRequest.model_validate(body))
    sweeper = Sweeper(svc)
    sweep = threading.Thread(target=sweeper.run_once)
    sweep.start()
    try:
        done = threading.Event()
        for _ in range(3000):  # until every execution was delivered and every post made
            if len(receiver.deliveries) >= TARPITS and len(notifier.posts) >= 5:
                done.set()
                break
            threading.Event().wait(0.01)
        callbacks_running = [i for i in sweeper.pools.running() if i.kind == WorkKind.CALLBACK]
    finally:
        sweeper.close()
        sweep.join(60)
        svc.engine.dispose()
    assert done.is_set(), (len(receiver.deliveries), len(notifier.posts))
    # ... while the tarpits still held their workflow's share of the callback pool: nothing else waited for them
    assert len(callbacks_running) == PER_WORKFLOW
    assert tarpit.connections >= PER_WORKFLOW
