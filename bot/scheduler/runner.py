"""APScheduler 3 wiring: the sweep on an interval, woken early whenever new work is committed."""

from __future__ import annotations

from datetime import datetime

import structlog
from apscheduler.schedulers.background import BackgroundScheduler

from bot.flow.services import Services
from bot.scheduler.sweep import Sweeper

log = structlog.get_logger(__name__)
SWEEP_JOB = "sweep"


class SchedulerRunner:
    """Owns the background scheduler of one replica."""

    def __init__(self, svc: Services, sweeper: Sweeper | None = None) -> None:
        self.svc = svc
        self.sweeper = sweeper or Sweeper(svc)
        self.scheduler = BackgroundScheduler(timezone=svc.settings.zone, job_defaults={"misfire_grace_time": 30})
        self.scheduler.add_job(self._sweep, "interval", seconds=svc.settings.sweep_seconds, id=SWEEP_JOB,
                               max_instances=1, coalesce=True)

    def _sweep(self) -> None:
        try:
            self.sweeper.run_once()
        except Exception:  # the database may be down; the next interval tries again
            log.exception("sweep failed")

    def start(self) -> None:
        """Start the scheduler thread; the first sweep runs at once."""
        self.scheduler.start()
        self.kick()
        log.info("scheduler started", sweep_seconds=self.svc.settings.sweep_seconds, instance=self.svc.instance)

    def kick(self) -> None:
        """Run the sweep now (new due work was just committed)."""
        if self.scheduler.running:
            self.scheduler.modify_job(SWEEP_JOB, next_run_time=datetime.now(self.svc.settings.zone))

    def shutdown(self) -> None:
        """Stop taking new work and wait for the running sweep to finish."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)
            log.info("scheduler stopped")
