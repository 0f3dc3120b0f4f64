"""Due work that calls out (executions, agent callbacks) or may be slow runs in small thread pools, one per kind of
work, so a slow target only ever holds a slot of its own pool: Slack messages (run by the sweep itself, paced per
channel), reminders and expiries, and other workflows' executions go on at their normal pace.

Each pool is claimed for only as many items as it has free slots (what is claimed starts at once), and one
workflow may hold at most PER_WORKFLOW slots of a pool: 20 executions stuck on one workflow's tarpit leave the other
slots to other workflows. Items of one proposal never run at the same time (they keep their order).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bot.enums import WorkKind
from bot.store.models import DueWork

PER_WORKFLOW = 4  # slots of one pool a single workflow may hold


@dataclass(frozen=True)
class Pool:
    """A kind of work with its own bounded concurrency."""

    name: str
    kinds: tuple[WorkKind, ...]
    size: int


POOLS = (
    Pool("executions", (WorkKind.EXECUTE,), 8),
    Pool("callbacks", (WorkKind.CALLBACK,), 8),
    Pool("lifecycle", (WorkKind.REMIND, WorkKind.ESCALATE, WorkKind.EXPIRE), 2),
    Pool("digests", (WorkKind.DIGEST, WorkKind.DIGEST_CHART), 1),
)
POOLED_KINDS = tuple(k for pool in POOLS for k in pool.kinds)


@dataclass(frozen=True)
class Running:
    item: DueWork
    workflow: str | None


class WorkPools:
    """The pools of one sweeper and what is running in each."""

    def __init__(self, pools: tuple[Pool, ...] = POOLS) -> None:
        self.pools = pools
        self._executors = {p.name: ThreadPoolExecutor(p.size, thread_name_prefix=f"due-{p.name}") for p in pools}
        self._running: dict[str, dict[int, Running]] = {p.name: {} for p in pools}
        self._lock = threading.Lock()
        self.finished = threading.Event()  # set whenever an item finishes (a slot is free again)

    def free(self, pool: Pool) -> int:
        """Slots of the pool not in use."""
        with self._lock:
            return pool.size - len(self._running[pool.name])

    def busy_proposals(self) -> list[str]:
        """Proposals with an item running in some pool."""
        with self._lock:
            return [r.item.proposal_id for runs in self._running.values() for r in runs.values() if r.item.proposal_id]

    def full_workflows(self, pool: Pool) -> list[str]:
        """Workflows holding PER_WORKFLOW slots of the pool."""
        with self._lock:
            counts: dict[str, int] = {}
            for r in self._running[pool.name].values():
                if r.workflow:
                    counts[r.workflow] = counts.get(r.workflow, 0) + 1
        return [w for w, n in counts.items() if n >= PER_WORKFLOW]

    def for_workflow(self, pool: Pool, workflow: str | None) -> int:
        """Slots of the pool the workflow holds."""
        with self._lock:
            return sum(1 for r in self._running[pool.name].values() if workflow and r.workflow == workflow)

    def running(self) -> list[DueWork]:
        """Every item running now."""
        with self._lock:
            return [r.item for runs in self._running.values() for r in runs.values()]

    def in_flight(self) -> int:
        """How many items are running."""
        with self._lock:
            return sum(len(runs) for runs in self._running.values())

    def submit(self, pool: Pool, item: DueWork, workflow: str | None, work: Callable[[DueWork], object]) -> None:
        """Run `work(item)` in the pool's thread (a slot must be free)."""
        key = item.id or 0
        with self._lock:
            self._running[pool.name][key] = Running(item, workflow)

        def run() -> None:
            try:
                work(item)
            finally:
                with self._lock:
                    del self._running[pool.name][key]
                self.finished.set()

        self._executors[pool.name].submit(run)

    def shutdown(self) -> None:
        """Wait for the running items (each bounded by its own deadline) and stop the threads."""
        for executor in self._executors.values():
            executor.shutdown(wait=True)
