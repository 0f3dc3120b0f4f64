"""APScheduler 3 wiring: the sweep on an interval (woken early whenever new work is committed) and the digest cron."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.digest.period import DIGEST_TIME
from bot.flow import digest_work
from bot.flow.context import Services
from bot.scheduler.sweep import Sweeper

log = structlog.get_logger(__name__)
SWEEP_JOB = "sweep"
KICK_GAP = 0.05  # seconds between two sweeps started by kicks that came in while the first one ran
DIGEST_JOB = "monthly-digest"


def digest_trigger(zone: ZoneInfo) -> CronTrigger:
    """09:00 local on days 1-3: the first working day (Mon-Fri) of a month is always one of them."""
    return CronTrigger(day="1-3", hour=DIGEST_TIME.hour, minute=DIGEST_TIME.minute, timezone=zone)


class SchedulerRunner:
    """Owns the background scheduler of one replica."""

    def __init__(self, svc: Services, sweeper: Sweeper | None = None) -> None:
        self.svc = svc
        self.sweeper = sweeper or Sweeper(svc)
        self.scheduler = BackgroundScheduler(timezone=svc.settings.zone, job_defaults={"misfire_grace_time": 30})
        self.scheduler.add_job(
            self._sweep, "interval", seconds=svc.settings.sweep_seconds, id=SWEEP_JOB, max_instances=1, coalesce=True
        )
        # A missed firing is harmless: the catch-up at start() and the next day's firing queue what is due.
        self.scheduler.add_job(
            self.queue_digests,
            digest_trigger(svc.settings.zone),
            id=DIGEST_JOB,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=3600,
        )
        # Kicks are coalesced: one wakes the scheduler, the rest only ask the sweep to look once more.
        self._kick_lock = threading.Lock()
        self._kicked = False  # new work was committed since the current (or next) sweep started looking
        self._sweeping = False

    def _sweep(self) -> None:
        again, started = True, 0.0
        while again:
            # Under a steady stream of kicks, sweep at most every KICK_GAP seconds: each sweep takes what came.
            time.sleep(max(0.0, started + KICK_GAP - time.monotonic()))
            started = time.monotonic()
            with self._kick_lock:
                self._kicked, self._sweeping = False, True
            try:
                self.sweeper.run_once()
            except Exception:  # the database may be down; the next interval tries again
                log.exception("sweep failed")
                again = False
            finally:
                with self._kick_lock:
                    self._sweeping = False
                    again = again and self._kicked and self.scheduler.running  # work came in while sweeping

    def queue_digests(self) -> list[str]:
        """Queue every digest that is due and not yet posted (the cron job, and the catch-up at start)."""
        try:
            queued = digest_work.enqueue_due(self.svc)
        except Exception:  # the database may be down; the next firing or start-up tries again
            log.exception("queueing monthly digests failed")
            return []
        if queued:
            log.info("monthly digests queued", workflows=queued)
        return queued

    def start(self) -> None:
        """Start the scheduler thread; catch up on digests missed while down; the first sweep runs at once."""
        self.scheduler.start()
        self.svc.wakeup.subscribe(self.kick)
        self.queue_digests()
        with self._kick_lock:
            self._kicked = False
        self.kick()
        log.info("scheduler started", sweep_seconds=self.svc.settings.sweep_seconds, instance=self.svc.instance)

    def kick(self) -> None:
        """Run the sweep now (new due work was just committed); cheap when a sweep is already running or due."""
        with self._kick_lock:
            if self._kicked:
                return  # a sweep has been woken and has not started looking yet: it will see this work
            self._kicked = True
            if self._sweeping:
                return  # the running sweep looks once more when it ends
        if self.scheduler.running:
            self.scheduler.modify_job(SWEEP_JOB, next_run_time=datetime.now(self.svc.settings.zone))

    def shutdown(self) -> None:
        """Stop taking new work and wait for the running sweep to finish."""
        self.svc.wakeup.unsubscribe(self.kick)
        if self.scheduler.running:
            self.sweeper.stop()  # a long sweep returns after its current item, giving back what it had not started
            self.scheduler.shutdown(wait=True)
            self.sweeper.close()  # calls in flight end within their own deadlines
            log.info("scheduler stopped")
