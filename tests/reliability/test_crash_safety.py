"""kill -9 at random moments during proposal lifecycles (intake over HTTP, decisions by signed Slack clicks and by
the flow, execution through a webhook), restart, and prove nothing accepted or decided is lost, everything reaches
a final state, and nothing is executed twice except a retry carrying the same idempotency key.

Size: COUNTERSIGN_RELIABILITY_SCALE (see tests/reliability/scale.py); full size is 1,000 lifecycles per database.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.fakes.webhook_receiver import WebhookReceiver
from bot.fakeslack import FakeSlack
from tests.reliability.lifecycles import Workload, check_invariants, make_world, wait_settled
from tests.reliability.scale import scaled

LIFECYCLES = scaled(1000, 40)
KILLS = max(4, LIFECYCLES // 12)


@pytest.mark.slow
def test_kill9_during_lifecycles_loses_nothing(
    db_url: str, tmp_path: Path, receiver: WebhookReceiver, slack: FakeSlack
) -> None:
    started = time.monotonic()
    world = make_world(db_url, tmp_path, slack, receiver, lease_seconds=2)
    try:
        world.start_replica()
        load = Workload(world, LIFECYCLES, seed=7, pace_seconds=0.05)
        load.run(kills=KILLS, restart=True, victim=lambda w: w.replicas[-1], timeout=60 + LIFECYCLES * 0.5)
        wait_settled(world, load.ledger, timeout=60)
        dups = check_invariants(world, load.ledger)
    finally:
        world.stop_all()
        world.svc.engine.dispose()
    ledger = load.ledger
    # Each kill interrupts at most the one side effect its sweep had in flight: only those may repeat.
    assert dups.total <= ledger.kills, dups
    print(
        f"\n{db_url.split(':')[0]}: {LIFECYCLES} lifecycles, {ledger.kills} kills, {ledger.clicks} signed clicks, "
        f"{len(ledger.confirmed)} decisions confirmed, {ledger.intake_retries} intake retries; after kills: {dups}; "
        f"{time.monotonic() - started:.0f} s"
    )
