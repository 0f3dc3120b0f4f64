"""A replica killed (SIGKILL) while a connector call is in flight: the action is retried, with the same key."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.clock import FakeClock
from bot.fakes.webhook_receiver import Reply, WebhookReceiver
from bot.flow import intake
from bot.flow.requests import ProposalRequest
from bot.store import proposals
from bot.store.db import session_scope
from tests.factories import WEBHOOK_SECRET, make_services, proposal, sweep, write_policies
from tests.flow.conftest import AGENT
from tests.reliability.procs import ServiceProcess, wait_until


def test_killed_mid_execution_retries_with_the_same_idempotency_key(
    db_url: str, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    clock = FakeClock(datetime.now(UTC))  # the restarted replica below jumps past the dead one's lease
    policies = write_policies(tmp_path / "policies", webhook_url=receiver.url)
    svc = make_services(db_url, policies, clock=clock)
    receiver.script(Reply(delay=60))  # the first delivery hangs: the replica is mid-call when it dies
    p, _ = intake.submit(
        svc, agent=AGENT, req=ProposalRequest.model_validate(proposal(payload={"to": "a@example.com", "amount": 4}))
    )

    replica = ServiceProcess(
        {"DATABASE_URL": db_url, "COUNTERSIGN_POLICIES": str(policies), "PAYOUT_SECRET": WEBHOOK_SECRET},
        tmp_path / "replica.log",
    )
    try:
        wait_until(lambda: len(receiver.deliveries) == 1, what="the first delivery")
    finally:
        replica.kill9()

    with session_scope(svc.engine) as s:
        assert proposals.get(session=s, proposal_id=p.id).execution_status == "running"
    clock.advance(minutes=6)  # the lease of the killed replica has lapsed
    sweep(svc)
    with session_scope(svc.engine) as s:
        final = proposals.get(session=s, proposal_id=p.id)
    assert (final.execution_status, final.execution_attempts) == ("succeeded", 2)
    assert [d.headers["idempotency-key"] for d in receiver.deliveries] == [p.id, p.id]
    svc.engine.dispose()
