"""The monthly digest: claim (period, workflow) once across replicas, build, post, record; mark reviewed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import structlog

from bot.digest import chart
from bot.digest.period import Period
from bot.digest.report import DigestReport, build
from bot.enums import WorkKind
from bot.errors import CountersignError, NotFound
from bot.flow.context import Services
from bot.flow.ports import DigestPublisher, MessageRef, NotifyError
from bot.store import audit, digests, due
from bot.store.db import session_scope

log = structlog.get_logger(__name__)
CLAIM_LEASE = timedelta(minutes=5)  # longer than a build plus a post with Slack's timeouts and retries
CHART_GRACE = timedelta(minutes=5)  # the inline chart upload gets this long before the queued retry may run


@dataclass(frozen=True)
class Posting:
    """What one run did: posted it, found it already posted, or found another replica posting it."""

    state: Literal["posted", "already_posted", "busy"]
    channel: str | None = None
    ts: str | None = None
    claimed_by: str | None = None
    lease_until: datetime | None = None


@dataclass(frozen=True)
class Review:
    """Who reviewed a digest and when; `first` is False when someone had already reviewed it."""

    first: bool
    reviewed_by: str
    reviewed_at: datetime
    channel: str
    ts: str
    report: DigestReport


class SlackNotConfigured(CountersignError):
    """There is nowhere to post the digest."""


def preview(svc: Services, *, period: Period, workflow: str) -> DigestReport:
    """Build the digest without posting or recording anything (--dry-run)."""
    wf = svc.policies.workflow(workflow)
    return build(svc.engine, wf, period, svc.settings.zone, svc.clock.now())


def run(svc: Services, *, period: Period, workflow: str, lease: timedelta = CLAIM_LEASE) -> Posting:
    """Post `workflow`'s digest for `period` exactly once, whoever else tries at the same time."""
    publisher = _publisher(svc)
    svc.policies.workflow(workflow)  # NotFound before claiming anything
    with session_scope(svc.engine) as s:
        won = digests.claim(
            session=s, period=period.key, workflow=workflow, owner=svc.instance, now=svc.clock.now(), lease=lease
        )
    if not won:
        return _existing(svc, period, workflow)
    try:
        report = preview(svc, period=period, workflow=workflow)
        ref = publisher.post_digest(report)
    except BaseException:
        with session_scope(svc.engine) as s:
            digests.release(session=s, period=period.key, workflow=workflow, owner=svc.instance)
        raise
    _record(svc, period, workflow, report, ref)
    _chart_now(svc, period, workflow)
    return Posting("posted", ref.channel, ref.ts, svc.instance)


def _publisher(svc: Services) -> DigestPublisher:
    if svc.publisher is None:
        raise SlackNotConfigured(
            "Slack is not configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to post "
            "digests (or use --dry-run to print one)"
        )
    return svc.publisher


def _existing(svc: Services, period: Period, workflow: str) -> Posting:
    with session_scope(svc.engine) as s:
        found = digests.get(session=s, period=period.key, workflow=workflow)
    assert found is not None  # claim() failing means the row exists; rows are never deleted
    if found.state == "posted":
        return Posting("already_posted", found.channel, found.ts, found.claimed_by)
    return Posting("busy", claimed_by=found.claimed_by, lease_until=found.lease_until)


def _record(svc: Services, period: Period, workflow: str, report: DigestReport, ref: MessageRef) -> None:
    """Store where it was posted and queue the chart upload as a safety net for the inline attempt."""
    now = svc.clock.now()
    with session_scope(svc.engine) as s:
        kept = digests.record_posted(
            session=s,
            period=period.key,
            workflow=workflow,
            owner=svc.instance,
            channel=ref.channel,
            ts=ref.ts,
            now=now,
            data=report.model_dump(mode="json"),
        )
        due.enqueue(
            session=s,
            kind=WorkKind.DIGEST_CHART,
            due_at=now + CHART_GRACE,
            now=now,
            max_attempts=50,
            data={"period": period.key, "workflow": workflow},
            dedupe_key=f"digest_chart:{period.key}:{workflow}",
        )
    if not kept:  # our lease lapsed while posting and another replica took over: say so, loudly
        log.error("digest claim was lost while posting; it may appear twice", period=period.key, workflow=workflow)


def _chart_now(svc: Services, period: Period, workflow: str) -> None:
    try:
        attach_chart(svc, period=period, workflow=workflow)
    except NotifyError as exc:  # the queued digest_chart item retries it
        log.warning("digest chart upload failed; will retry", period=period.key, workflow=workflow, error=str(exc))


def attach_chart(svc: Services, *, period: Period, workflow: str) -> bool:
    """Upload the chart into the posted digest's thread, once; False when there is nothing (more) to do."""
    publisher = _publisher(svc)
    with session_scope(svc.engine) as s:
        found = digests.get(session=s, period=period.key, workflow=workflow)
    if found is None or found.state != "posted" or found.chart_posted_at is not None:
        return False
    report = DigestReport.model_validate(found.data)
    publisher.post_chart(report, MessageRef(found.channel or "", found.ts or ""), chart.daily_png(report))
    with session_scope(svc.engine) as s:
        digests.record_chart(session=s, period=period.key, workflow=workflow, now=svc.clock.now())
    return True


def mark_reviewed(svc: Services, *, period: str, workflow: str, user: str) -> Review:
    """Record who reviewed a posted digest (audited); later clicks learn who did it first."""
    now = svc.clock.now()
    with session_scope(svc.engine) as s:
        found = digests.get(session=s, period=period, workflow=workflow, lock=True)
        if found is None or found.state != "posted":
            raise NotFound(f"no posted digest of {workflow} for {period}")
        first = digests.record_review(session=s, period=period, workflow=workflow, user=user, now=now)
        found = digests.get(session=s, period=period, workflow=workflow)
        assert found is not None
        assert found.reviewed_by
        assert found.reviewed_at
        if first:
            audit.append(
                session=s, actor=user, action="digest_reviewed", at=now, data={"period": period, "workflow": workflow}
            )
    report = DigestReport.model_validate(found.data).model_copy(
        update={"reviewed_by": found.reviewed_by, "reviewed_at": found.reviewed_at}
    )
    return Review(first, found.reviewed_by, found.reviewed_at, found.channel or "", found.ts or "", report)
