"""The monthly digest flow: posted once per (month, workflow) whoever runs it, retried on Slack trouble, reviewed."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from bot.app import create_app
from bot.clock import FakeClock
from bot.digest.period import Period
from bot.errors import NotFound
from bot.fakeslack import FakeSlack
from bot.flow import digest, digest_work
from bot.flow.context import Services
from bot.store import audit, digests, due
from bot.store.db import make_engine, session_scope
from bot.store.models import AuditEvent, DueWork
from tests.digest.rows import insert, row
from tests.digest.slackrig import publisher
from tests.factories import make_services, sweep, write_policies

OCTOBER = Period(2026, 10)
PNG = b"\x89PNG\r\n\x1a\n"


def some_october(svc: Services) -> None:
    at = datetime(2026, 10, 14, 12, tzinfo=UTC)
    insert(
        svc,
        row(at=at, minutes=12),
        row(at=at, minutes=30, edited=True),
        row(at=at, status="rejected", minutes=45, decision_reason="wrong IBAN <!here>"),
    )


def run_of(svc: Services, period: str = "2026-10"):
    with session_scope(svc.engine) as s:
        return digests.get(session=s, period=period, workflow="payouts")


def digest_items(svc: Services) -> list[DueWork]:
    with session_scope(svc.engine) as s:
        return list(s.exec(select(DueWork).where(DueWork.kind.in_(["digest", "digest_chart"]))).all())


def test_posted_once_mentioning_the_owner_with_the_chart_in_its_thread(
    posting: Services, slack: FakeSlack, clock: FakeClock
) -> None:
    some_october(posting)
    first = digest.run(posting, period=OCTOBER, workflow="payouts")
    again = digest.run(posting, period=OCTOBER, workflow="payouts")
    assert (first.state, again.state, again.ts) == ("posted", "already_posted", first.ts)
    [_call] = slack.calls("chat.postMessage")
    msg = slack.message("C0REVIEW", first.ts)
    assert msg.text.startswith("<@U0OWNER> monthly digest of payouts for October 2026: 3 proposals")
    shown = str(msg.blocks)
    assert "66.7% (2)" in shown
    assert "wrong IBAN &lt;!here&gt; — 1×" in shown
    assert "<!here>" not in shown
    assert [c.method for c in slack.calls() if c.method != "chat.postMessage"] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    [chart] = slack.files("C0REVIEW")
    assert chart.content.startswith(PNG)
    assert chart.length == len(chart.content)
    assert chart.thread_ts == first.ts
    assert chart.filename == "digest-payouts-2026-10.png"
    assert "approved 1" in chart.alt_txt
    stored = run_of(posting)
    assert (stored.state, stored.channel, stored.ts, stored.posted_at, stored.chart_posted_at) == (
        "posted",
        "C0REVIEW",
        first.ts,
        clock.now(),
        clock.now(),
    )


def test_an_empty_month_is_posted_too(posting: Services, slack: FakeSlack) -> None:
    assert digest.run(posting, period=OCTOBER, workflow="payouts").state == "posted"
    [msg] = slack.messages("C0REVIEW")
    assert "had no proposals in October 2026" in str(msg.blocks)


def test_a_crashed_claim_is_taken_over_after_its_lease(posting: Services, slack: FakeSlack, clock: FakeClock) -> None:
    with session_scope(posting.engine) as s:  # a replica claimed it, then died before posting
        assert digests.claim(
            session=s,
            period="2026-10",
            workflow="payouts",
            owner="dead-replica",
            now=clock.now(),
            lease=digest.CLAIM_LEASE,
        )
    busy = digest.run(posting, period=OCTOBER, workflow="payouts")
    assert (busy.state, busy.claimed_by, busy.lease_until) == ("busy", "dead-replica", clock.now() + digest.CLAIM_LEASE)
    assert slack.calls("chat.postMessage") == []
    clock.advance(digest.CLAIM_LEASE + timedelta(seconds=1))
    assert digest.run(posting, period=OCTOBER, workflow="payouts").state == "posted"
    assert len(slack.calls("chat.postMessage")) == 1
    assert run_of(posting).claimed_by == posting.instance


def test_the_sweep_waits_for_a_live_claim_then_takes_over(
    posting: Services, slack: FakeSlack, clock: FakeClock
) -> None:
    some_october(posting)
    with session_scope(posting.engine) as s:
        digests.claim(
            session=s,
            period="2026-10",
            workflow="payouts",
            owner="other-replica",
            now=clock.now(),
            lease=digest.CLAIM_LEASE,
        )
    assert digest_work.enqueue_due(posting) == ["payouts"]
    sweep(posting)
    [item] = digest_items(posting)
    assert (item.state, item.due_at, item.last_error) == (
        "pending",
        clock.now() + digest.CLAIM_LEASE,
        "digest is being posted by other-replica",
    )
    clock.advance(digest.CLAIM_LEASE)
    sweep(posting)
    assert len(slack.calls("chat.postMessage")) == 1
    assert run_of(posting).state == "posted"


def test_missed_digest_is_posted_at_the_next_start(posting: Services, slack: FakeSlack, clock: FakeClock) -> None:
    some_october(posting)
    clock.set(datetime(2026, 11, 10, 14, tzinfo=UTC))  # the service was down on the 2nd, when it was due
    with TestClient(create_app(services=posting)):  # start-up: migrations, scheduler, catch-up
        slack.wait_for("files.completeUploadExternal", timeout=20)
    assert len(slack.calls("chat.postMessage")) == 1
    assert run_of(posting).state == "posted"
    assert digest_work.enqueue_due(posting) == []  # a second start the same month posts nothing


def test_catch_up_skips_workflows_that_had_nothing_yet(posting: Services, clock: FakeClock) -> None:
    insert(posting, row(at=datetime(2026, 11, 1, 9, tzinfo=UTC), minutes=3))  # first proposal ever, in November
    assert digest_work.enqueue_due(posting) == []
    insert(posting, row(at=datetime(2026, 9, 3, tzinfo=UTC), minutes=3))  # an earlier one: October had an agent
    assert digest_work.enqueue_due(posting) == ["payouts"]
    assert digest_work.enqueue_due(posting) == []  # queued once (dedupe key digest:2026-10:payouts)


def test_slack_errors_are_retried_then_posted_once(posting: Services, slack: FakeSlack, clock: FakeClock) -> None:
    some_october(posting)
    slack.fail_next("chat.postMessage", 500)
    digest_work.enqueue_due(posting)
    sweep(posting)
    [item] = digest_items(posting)
    assert (item.state, item.attempts, item.last_error) == ("pending", 1, "Slack: internal_error")
    assert run_of(posting).state == "claimed"
    assert run_of(posting).lease_until is None
    clock.advance(seconds=5)
    sweep(posting)
    assert [c.status for c in slack.calls("chat.postMessage")] == [500, 200]
    assert run_of(posting).state == "posted"


def test_a_permanent_slack_error_is_recorded_as_dead_work(posting: Services, slack: FakeSlack) -> None:
    some_october(posting)
    slack.archive("C0REVIEW")
    digest_work.enqueue_due(posting)
    sweep(posting)
    [item] = digest_items(posting)
    assert (item.state, item.last_error) == ("dead", "Slack: is_archived")
    with session_scope(posting.engine) as s:
        assert due.backlog(session=s) == {"digest:dead": 1}


def test_retries_run_out_into_dead_work_never_a_silent_drop(
    posting: Services, slack: FakeSlack, clock: FakeClock
) -> None:
    some_october(posting)
    slack.fail_next("chat.postMessage", 503, count=digest_work.MAX_ATTEMPTS)
    digest_work.enqueue_due(posting)
    for _ in range(digest_work.MAX_ATTEMPTS):
        sweep(posting)
        clock.advance(minutes=16)
    [item] = digest_items(posting)
    assert (item.state, item.attempts) == ("dead", digest_work.MAX_ATTEMPTS)
    assert item.last_error == f"Slack: service_unavailable (after {digest_work.MAX_ATTEMPTS} attempts)"
    assert run_of(posting).state == "claimed"
    assert slack.messages("C0REVIEW") == []


def test_a_failed_chart_upload_is_retried_by_the_sweep(posting: Services, slack: FakeSlack, clock: FakeClock) -> None:
    some_october(posting)
    slack.fail_next("files.getUploadURLExternal", 503)
    assert digest.run(posting, period=OCTOBER, workflow="payouts").state == "posted"
    assert slack.files() == []
    assert run_of(posting).chart_posted_at is None
    sweep(posting)
    assert slack.files() == []  # the queued upload waits for the inline attempt's grace period
    clock.advance(digest.CHART_GRACE)
    sweep(posting)
    [chart] = slack.files("C0REVIEW")
    assert chart.thread_ts == run_of(posting).ts
    assert len(slack.calls("chat.postMessage")) == 1


def test_mark_reviewed_records_the_first_reviewer_and_audits_it(posting: Services, clock: FakeClock) -> None:
    digest.run(posting, period=OCTOBER, workflow="payouts")
    clock.advance(hours=1)
    first = digest.mark_reviewed(posting, period="2026-10", workflow="payouts", user="U0ALICE")
    reviewed_at = clock.now()
    clock.advance(minutes=5)
    later = digest.mark_reviewed(posting, period="2026-10", workflow="payouts", user="U0BOB")
    assert (first.first, first.reviewed_by, first.reviewed_at) == (True, "U0ALICE", reviewed_at)
    assert (later.first, later.reviewed_by, later.reviewed_at) == (False, "U0ALICE", reviewed_at)
    assert later.report.reviewed_by == "U0ALICE"
    assert (later.channel, later.ts) == (first.channel, first.ts)
    with session_scope(posting.engine) as s:
        logged = s.exec(select(AuditEvent).where(AuditEvent.action == "digest_reviewed")).all()
        assert [(e.actor, e.data, e.at) for e in logged] == [
            ("U0ALICE", {"period": "2026-10", "workflow": "payouts"}, reviewed_at)
        ]
        assert list(audit.verify(session=s)) == []  # the chain still holds
    with pytest.raises(NotFound, match="no posted digest of payouts for 2026-09"):
        digest.mark_reviewed(posting, period="2026-09", workflow="payouts", user="U0ALICE")


def _replica(pg_svc: Services, name: str, slack: FakeSlack) -> Services:
    engine = make_engine(str(pg_svc.engine.url.render_as_string(False)))
    return replace(pg_svc, instance=name, engine=engine, publisher=publisher(slack))


@pytest.fixture
def replicas(pg_url: str, tmp_path: Path, clock: FakeClock, slack: FakeSlack) -> Iterator[list[Services]]:
    """Two replicas (own engines, own instance names) on one PostgreSQL database."""
    base = make_services(pg_url, write_policies(tmp_path / "policies"), clock=clock)
    pair = [_replica(base, "replica-a", slack), _replica(base, "replica-b", slack)]
    yield pair
    for s in [base, *pair]:
        s.engine.dispose()


def _together(*calls: Callable[[], object]) -> list[object]:
    """Start the calls on threads at the same instant; return their results (or raise their errors)."""
    gate = threading.Barrier(len(calls))
    with ThreadPoolExecutor(len(calls)) as pool:
        futures = [pool.submit(lambda c=c: (gate.wait(), c())[1]) for c in calls]
        return [f.result(timeout=60) for f in futures]


def test_two_replicas_running_the_same_digest_at_once_post_it_once(replicas: list[Services], slack: FakeSlack) -> None:
    some_october(replicas[0])
    months = [Period(2026, m) for m in range(1, 11)]
    for month in months:
        states = _together(*[lambda r=r, m=month: digest.run(r, period=m, workflow="payouts").state for r in replicas])
        assert sorted(states) in (["already_posted", "posted"], ["busy", "posted"])
    posts = slack.calls("chat.postMessage")
    assert len(posts) == len(months)
    assert len(slack.files("C0REVIEW")) == len(months)
    assert len({(c.response["ts"]) for c in posts}) == len(months)


def test_two_replicas_firing_the_cron_and_sweeping_together_post_once(
    replicas: list[Services], slack: FakeSlack
) -> None:
    some_october(replicas[0])
    queued = _together(*[lambda r=r: digest_work.enqueue_due(r) for r in replicas])
    assert sorted(queued, key=len) == [[], ["payouts"]]
    _together(*[lambda r=r: sweep(r) for r in replicas])
    assert len(slack.calls("chat.postMessage")) == 1
    assert len(slack.files()) == 1
    [item] = [w for w in digest_items(replicas[0]) if w.kind == "digest"]
    assert item.state == "done"
