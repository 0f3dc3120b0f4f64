"""Two real replicas (`countersign serve`) on one PostgreSQL database, one killed with SIGKILL mid-sweep."""

from __future__ import annotations

import socket
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import select

from bot.clock import FakeClock
from bot.fakes.webhook_receiver import Reply, WebhookReceiver
from bot.flow import intake
from bot.flow.requests import ProposalRequest
from bot.scheduler.pools import PER_WORKFLOW
from bot.store.db import session_scope
from bot.store.models import AuditEvent, DueWork, Proposal
from tests.factories import WEBHOOK_SECRET, make_services, proposal, sweep, write_policies
from tests.flow.conftest import AGENT
from tests.reliability.procs import ServiceProcess, wait_until

N = 40  # auto-approved proposals, so each is one `execute` due item delivered to the receiver


def test_no_due_work_is_lost_or_done_twice_when_a_replica_is_killed_mid_sweep(
    pg_url: str, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    clock = FakeClock(datetime.now(UTC))  # this process plays the replica restarted after the crash
    policies = write_policies(tmp_path / "policies", webhook_url=receiver.url)
    svc = make_services(pg_url, policies, clock=clock)
    receiver.script(*[Reply(delay=0.1) for _ in range(2 * N)])  # each delivery takes a while: work is in flight
    ids = [
        intake.submit(
            svc,
            agent=AGENT,
            req=ProposalRequest.model_validate(proposal(payload={"to": f"p{i}@example.com", "amount": 5})),
        )[0].id
        for i in range(N)
    ]
    env = {"DATABASE_URL": pg_url, "COUNTERSIGN_POLICIES": str(policies), "PAYOUT_SECRET": WEBHOOK_SECRET}
    replicas = {
        f"{socket.gethostname()}:{p.proc.pid}": p
        for p in (ServiceProcess(env, tmp_path / f"replica-{i}.log") for i in range(2))
    }
    try:
        wait_until(lambda: _mid_sweep(svc, replicas) is not None, timeout=25, what="a replica mid-sweep")
        victim = _mid_sweep(svc, replicas)
        replicas[victim].kill9()
        wait_until(
            lambda: _open_items(svc) == _leased_pending(svc, victim),
            timeout=25,
            what="the survivor to finish everything not stuck under the dead replica's lease",
        )
    finally:
        for proc in replicas.values():
            proc.stop()
    assert _leased_pending(svc, victim) > 0  # it really died holding work
    clock.advance(timedelta(minutes=6))  # its leases lapse; the restarted replica (this process) takes over
    sweep(svc)
    _assert_each_done_exactly_once(svc, ids, receiver)
    owners = {w.lease_owner for w in _execute_items(svc)}
    assert {victim, svc.instance} <= owners <= {*replicas, svc.instance}
    svc.engine.dispose()


def _mid_sweep(svc: object, replicas: dict[str, ServiceProcess]) -> str | None:
    """A replica that has finished some items and holds leases on more."""
    return next((o for o in replicas if _done_by(svc, o) >= 3 and _leased_pending(svc, o) > 0), None)


def _execute_items(svc: object) -> list[DueWork]:
    with session_scope(svc.engine) as s:  # type: ignore[attr-defined]
        return list(s.exec(select(DueWork).where(DueWork.kind == "execute")).all())


def _done_by(svc: object, owner: str) -> int:
    return sum(1 for w in _execute_items(svc) if w.state == "done" and w.lease_owner == owner)


def _leased_pending(svc: object, owner: str) -> int:
    return sum(1 for w in _execute_items(svc) if w.state == "pending" and w.lease_owner == owner)


def _open_items(svc: object) -> int:
    return sum(1 for w in _execute_items(svc) if w.state == "pending")


def _assert_each_done_exactly_once(svc: object, ids: list[str], receiver: WebhookReceiver) -> None:
    items = _execute_items(svc)
    assert sorted(w.proposal_id for w in items) == sorted(ids)  # one item per proposal, none lost
    assert {w.state for w in items} == {"done"}
    with session_scope(svc.engine) as s:  # type: ignore[attr-defined]
        rows = s.exec(select(Proposal).where(Proposal.id.in_(ids))).all()
        recorded = Counter(
            e.proposal_id
            for e in s.exec(
                select(AuditEvent).where(AuditEvent.action == "execution", AuditEvent.after == "succeeded")
            ).all()
        )
    assert {p.execution_status for p in rows} == {"succeeded"}
    assert recorded == Counter(ids)  # each success recorded exactly once
    keys = Counter(d.headers["idempotency-key"] for d in receiver.deliveries)
    assert set(keys) == set(ids)
    # only the calls in flight at the kill were repeated (at most one workflow's share of the pool), same key
    assert sum(n - 1 for n in keys.values()) <= PER_WORKFLOW
