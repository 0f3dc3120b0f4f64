"""Two replicas of `countersign serve` on one PostgreSQL database share the load (agents and Slack reach either);
one is SIGKILLed mid-run and never comes back. The survivor takes over its leased work once the lease lapses
(COUNTERSIGN_LEASE_SECONDS), nothing is lost, and no due work is done twice: one message per proposal, one
execution per idempotency key, one "executed" note, except the single side effect the dead replica had in flight.

Size: COUNTERSIGN_RELIABILITY_SCALE (see tests/reliability/scale.py); full size is 1,000 lifecycles.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from sqlmodel import col, select

from bot.fakes.webhook_receiver import WebhookReceiver
from bot.fakeslack import FakeSlack
from bot.scheduler.pools import POOLS
from bot.store.db import read_scope
from bot.store.models import DueWork
from tests.reliability.lifecycles import (
    SIDE_EFFECT_KINDS,
    Workload,
    World,
    check_invariants,
    make_world,
    wait_settled,
)
from tests.reliability.scale import scaled

LIFECYCLES = scaled(1000, 40)


def _owners(world: World) -> set[str]:
    with read_scope(world.svc.engine) as s:
        rows = s.exec(
            select(DueWork.lease_owner).where(col(DueWork.kind).in_(SIDE_EFFECT_KINDS), col(DueWork.state) == "done")
        ).all()
    return {o for o in rows if o}


@pytest.mark.slow
def test_two_replicas_one_killed_lose_nothing_and_do_nothing_twice(
    pg_url: str, tmp_path: Path, receiver: WebhookReceiver, slack: FakeSlack
) -> None:
    started = time.monotonic()
    victims: list[str] = []

    def kill_one(world: World) -> object:
        live = [r for r in world.replicas if r.proc.poll() is None]
        victim = live[load.rng.randrange(len(live))]
        victims.append(f"{socket.gethostname()}:{victim.proc.pid}")
        return victim

    world = make_world(pg_url, tmp_path, slack, receiver, lease_seconds=3)
    try:
        first, second = world.start_replica(), world.start_replica()
        names = {f"{socket.gethostname()}:{r.proc.pid}" for r in (first, second)}
        load = Workload(world, LIFECYCLES, seed=11, pace_seconds=0.05)
        load.run(
            kills=1,
            restart=False,
            victim=kill_one,
            timeout=60 + LIFECYCLES * 0.5,  # type: ignore[arg-type]
            window=(0.3, 0.7),
        )  # mid-run: both replicas have done work by then, and much is left
        wait_settled(world, load.ledger, timeout=60)
        dups = check_invariants(world, load.ledger)
        owners = _owners(world)
    finally:
        world.stop_all()
        world.svc.engine.dispose()
    assert load.ledger.kills == 1
    assert len(victims) == 1
    assert owners == names  # both replicas did due work (the victim before it died)
    # Only what the dead replica had in flight may have been repeated: executions and callbacks run in bounded pools
    # (bot/scheduler/pools.py), so that is at most their slots; Slack messages go one at a time.
    in_flight = sum(pool.size for pool in POOLS if pool.name in {"executions", "callbacks"})
    assert dups.total <= in_flight, dups
    assert sum(n - 1 for d in (dups.posts, dups.notes) for n in d.values()) <= 1, dups
    print(
        f"\n2 replicas on PostgreSQL: {LIFECYCLES} lifecycles, 1 killed, {load.ledger.clicks} signed clicks, "
        f"{load.ledger.intake_retries} intake retries; after the kill: {dups}; {time.monotonic() - started:.0f} s"
    )
