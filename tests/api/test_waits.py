"""Long-polls are woken by the decision (in this process, and through PostgreSQL from another replica), and each
agent may hold only so many of them at once.

The safety check is set to an hour here: a wait that returns "approved" before its timeout was woken by the
decision itself, not found by a poll."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.fakes.webhook_receiver import WebhookReceiver
from bot.flow import decide
from bot.flow.context import Services
from bot.flow.decisions import Decisions
from tests.factories import add_agent, make_services, proposal, write_policies

HOUR = 3600.0


def _quiet(svc: Services, **kw: object) -> Services:
    """The same services with a decision hub that never polls on its own."""
    limit = int(kw.get("max_waits_per_agent", svc.settings.max_waits_per_agent))  # type: ignore[call-overload]
    return replace(svc, decisions=Decisions(svc.engine, max_waits_per_agent=limit, safety_poll_seconds=HOUR))


def _wait_in_thread(client: TestClient, auth: dict[str, str], pid: str, out: list) -> threading.Thread:
    t = threading.Thread(
        target=lambda: out.append(client.get(f"/api/v1/proposals/{pid}/wait?timeout=60", headers=auth))
    )
    t.start()
    return t


def _until(predicate: object, what: str) -> None:
    event = threading.Event()
    for _ in range(2000):
        if predicate():  # type: ignore[operator]
            return
        event.wait(0.01)
    raise AssertionError(f"never happened: {what}")


def test_a_wait_is_woken_by_a_decision_in_this_process(svc: Services) -> None:
    quiet = _quiet(svc)
    auth = {"Authorization": f"Bearer {add_agent(quiet)}"}
    with TestClient(create_app(services=quiet, run_scheduler=False)) as client:
        pid = client.post("/api/v1/proposals", json=proposal(), headers=auth).json()["id"]
        out: list = []
        waiter = _wait_in_thread(client, auth, pid, out)
        _until(lambda: quiet.decisions.waits() == 1, "the wait subscribed")
        decide.approve(quiet, proposal_id=pid, user="U0ALICE")
        waiter.join(90)
    assert out[0].status_code == 200
    assert out[0].json()["status"] == "approved"
    assert quiet.decisions.waits() == 0


@pytest.fixture
def two_replicas(pg_url: str, tmp_path: Path, receiver: WebhookReceiver) -> Iterator[tuple[Services, Services]]:
    policies = write_policies(tmp_path / "policies", webhook_url=receiver.url)
    a, b = make_services(pg_url, policies), make_services(pg_url, policies)
    yield _quiet(a), b
    a.engine.dispose()
    b.engine.dispose()


def test_a_wait_is_woken_by_a_decision_made_by_another_replica(two_replicas: tuple[Services, Services]) -> None:
    here, there = two_replicas
    auth = {"Authorization": f"Bearer {add_agent(here)}"}
    with TestClient(create_app(services=here, run_scheduler=False)) as client:
        pid = client.post("/api/v1/proposals", json=proposal(), headers=auth).json()["id"]
        out: list = []
        waiter = _wait_in_thread(client, auth, pid, out)
        _until(lambda: here.decisions.waits() == 1 and here.decisions.listening.is_set(), "the wait listened")
        decide.approve(there, proposal_id=pid, user="U0ALICE")  # another process's hub: only NOTIFY reaches here
        waiter.join(90)
    assert out[0].json()["status"] == "approved"
    assert out[0].json()["decided_by"] == "U0ALICE"


def test_waits_beyond_the_agent_limit_get_429_with_retry_after(svc: Services) -> None:
    quiet = _quiet(svc, max_waits_per_agent=2)
    auth = {"Authorization": f"Bearer {add_agent(quiet)}"}
    other = {"Authorization": f"Bearer {add_agent(quiet, 'agent-2')}"}
    with TestClient(create_app(services=quiet, run_scheduler=False)) as client:
        ids = [client.post("/api/v1/proposals", json=proposal(), headers=auth).json()["id"] for _ in range(3)]
        out: list = []
        waiters = [_wait_in_thread(client, auth, pid, out) for pid in ids[:2]]
        _until(lambda: quiet.decisions.waits() == 2, "two waits subscribed")
        refused = client.get(f"/api/v1/proposals/{ids[2]}/wait?timeout=60", headers=auth)
        # a decided proposal needs no wait: it answers at once, whatever the limit
        decided = client.post("/api/v1/proposals", json=proposal(), headers=auth).json()["id"]
        decide.reject(quiet, proposal_id=decided, user="U0BOB", reason="no")
        at_once = client.get(f"/api/v1/proposals/{decided}/wait?timeout=60", headers=auth)
        # the limit is per agent: another agent still waits
        theirs = client.post("/api/v1/proposals", json=proposal(), headers=other).json()["id"]
        waiters.append(_wait_in_thread(client, other, theirs, out))
        _until(lambda: quiet.decisions.waits() == 3, "the other agent's wait subscribed")
        for pid in [*ids[:2], theirs]:
            decide.approve(quiet, proposal_id=pid, user="U0ALICE")
        for w in waiters:
            w.join(90)
        again = client.get(f"/api/v1/proposals/{ids[2]}/wait?timeout=0.1", headers=auth)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "5"
    assert "agent-1 already has 2 waits open" in refused.json()["error"]
    assert at_once.json()["status"] == "rejected"
    assert [r.json()["status"] for r in out] == ["approved"] * 3
    assert again.status_code == 200  # the slots were given back
