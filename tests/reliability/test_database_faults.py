"""PostgreSQL stopped under a running `countersign serve`, then started again: while it is down the API answers 503
with Retry-After at once (never hangs, never 500), liveness stays up, readiness says what is wrong; once it is back
the service recovers by itself: new proposals are accepted and the sweep finishes the work the outage interrupted.

The server stopped here is a private one (tests/reliability/pgserver.py), so the other PostgreSQL tests running in
parallel never see the outage.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from bot.fakes.ports import free_port
from bot.fakes.webhook_receiver import Reply, WebhookReceiver
from bot.store.db import read_scope
from bot.store.models import Proposal
from tests.factories import WEBHOOK_SECRET, add_agent, make_services, proposal, write_policies
from tests.reliability.pgserver import PostgresServer
from tests.reliability.procs import ServiceProcess, wait_until

QUICK = 5.0  # seconds: an answer during the outage must come at least this fast (3 s connect timeout + margin)


@pytest.fixture
def postgres() -> Iterator[PostgresServer]:
    with PostgresServer() as server:
        yield server


def _timed(http: httpx.Client, method: str, path: str, **kwargs: object) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = http.request(method, path, **kwargs)  # type: ignore[arg-type]
    return response, time.monotonic() - started


@pytest.mark.postgres
@pytest.mark.slow
def test_database_down_then_back(postgres: PostgresServer, tmp_path: Path, receiver: WebhookReceiver) -> None:
    policies = write_policies(tmp_path / "policies", webhook_url=receiver.url)
    svc = make_services(postgres.url, policies)
    token = add_agent(svc)
    replica = ServiceProcess(
        {
            "DATABASE_URL": postgres.url,
            "COUNTERSIGN_POLICIES": str(policies),
            "PAYOUT_SECRET": WEBHOOK_SECRET,
            "COUNTERSIGN_LEASE_SECONDS": "2",
        },
        tmp_path / "replica.log",
    )
    http = httpx.Client(base_url=replica.url, timeout=30, headers={"Authorization": f"Bearer {token}"})
    try:
        replica.wait_ready()
        before = http.post("/api/v1/proposals", json=proposal(payload={"to": "a@x.io", "amount": 5}))
        assert before.status_code == 201
        wait_until(lambda: len(receiver.deliveries) == 1, what="the first execution")
        # The next execution is mid-call when the database goes: its result cannot be recorded until it is back.
        receiver.script(Reply(delay=1.5))
        caught = http.post("/api/v1/proposals", json=proposal(payload={"to": "b@x.io", "amount": 6}))
        wait_until(lambda: len(receiver.deliveries) == 2, what="the execution in flight")
        postgres.stop()

        answers = [
            _timed(http, "POST", "/api/v1/proposals", json=proposal()),
            _timed(http, "GET", f"/api/v1/proposals/{caught.json()['id']}"),
            _timed(http, "POST", "/api/v1/handoffs", json={"workflow": "payouts", "summary": "help"}),
            _timed(http, "POST", "/api/v1/proposals", json=proposal()),
        ]
        for response, seconds in answers:
            assert response.status_code == 503, response.text
            assert response.headers["Retry-After"] == "5"
            assert response.json()["code"] == "DatabaseUnavailable"
            assert seconds < QUICK, f"took {seconds:.1f}s while the database was down"
        ready, seconds = _timed(http, "GET", "/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"].startswith("unreachable")
        assert seconds < QUICK
        assert http.get("/healthz").status_code == 200
        time.sleep(2.5)  # a few sweeps fail meanwhile; the process must keep going
        assert replica.proc.poll() is None

        postgres.start()
        recovered = _wait_for_201(http)
        wait_until(lambda: _executed(svc) == 3, timeout=30, what="the sweep to finish the interrupted work")
        assert http.get("/readyz").status_code == 200
    finally:
        http.close()
        replica.stop()
        svc.engine.dispose()
    keys = [d.headers["idempotency-key"] for d in receiver.deliveries]
    assert keys.count(caught.json()["id"]) == 2  # the interrupted call was made again, with the same key
    assert set(keys) == {before.json()["id"], caught.json()["id"], recovered}
    log = replica.log_path.read_text()
    assert "sweep failed" in log or "due work" in log  # the outage was noticed, and survived
    assert "unhandled error" not in log


def _wait_for_201(http: httpx.Client) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        r = http.post("/api/v1/proposals", json=proposal(payload={"to": "c@x.io", "amount": 7}))
        if r.status_code == 201:
            return str(r.json()["id"])
        assert r.status_code == 503, r.text
        time.sleep(0.2)
    raise AssertionError("the API did not accept proposals again within 30 s of the database coming back")


def _executed(svc: object) -> int:
    try:
        with read_scope(svc.engine) as s:  # type: ignore[attr-defined]
            return sum(1 for p in s.exec(select(Proposal)).all() if p.execution_status == "succeeded")
    except Exception:  # noqa: BLE001 - our own pool may still hold connections from before the restart
        return -1


def test_a_503_is_a_clean_answer_and_keeps_the_connection(tmp_path: Path) -> None:
    """The 503 used to come from the catch-all handler, which Starlette re-raises after answering: uvicorn then
    logged a traceback per request and dropped the keep-alive connection, so the agent's next request on it failed
    with a connection reset instead of a clean 503."""
    from fastapi.testclient import TestClient

    from bot.app import create_app
    from bot.store.db import make_engine

    svc = make_services(f"sqlite:///{tmp_path}/db.sqlite", write_policies(tmp_path / "policies"))
    token = add_agent(svc)
    svc.engine.dispose()
    svc = replace(svc, engine=make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing"))
    client = TestClient(create_app(services=svc, run_scheduler=False), raise_server_exceptions=True)  # no lifespan
    r = client.post("/api/v1/proposals", json=proposal(), headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "5"
    svc.engine.dispose()
