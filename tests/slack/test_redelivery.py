"""Slack retries are not lost: a redelivered event (X-Slack-Retry-Num) is handled unless its event_id already was,
by this replica or another one sharing the database. Through the real signed /slack/events endpoint."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import select

from bot.app import create_app
from bot.fakeslack import BackgroundServer, envelopes
from bot.store.db import read_scope
from bot.store.models import SlackEvent
from tests.factories import make_services
from tests.slack.rig import SECRET, Rig


def _mention(rig: Rig, pid: str, text: str) -> dict[str, Any]:
    """The envelope Slack would send for an @-mention in the proposal's thread (built, not sent)."""
    slack = rig.get(pid)["slack"]
    with rig.slack.ws.lock:
        event = envelopes.mention_event(rig.slack, slack["channel"], "U0ALICE", text, slack["ts"])
        return envelopes.event_callback(rig.slack, event)


def _event_ids(rig: Rig) -> set[str]:
    with read_scope(rig.svc.engine) as s:
        return set(s.exec(select(SlackEvent.event_id)).all())


def test_a_retry_whose_first_delivery_never_arrived_is_handled(rig: Rig) -> None:
    p = rig.propose()
    envelope = _mention(rig, p["id"], "<@UBOT> escalate")  # delivery 1 was lost on the way
    resp = rig.driver.retry(envelope, num=1, reason="http_timeout")
    rig.settle()
    assert resp.status == 200
    assert rig.get(p["id"])["escalation_level"] == 1
    assert envelope["event_id"] in _event_ids(rig)


def test_a_retry_of_a_handled_event_is_skipped(rig: Rig) -> None:
    p = rig.propose()
    envelope = _mention(rig, p["id"], "<@UBOT> escalate")
    first = rig.driver.retry(envelope, num=1, reason="http_timeout")
    rig.settle()
    again = [rig.driver.retry(envelope, num=n, reason="http_timeout") for n in (2, 3)]
    rig.settle()
    assert [r.status for r in (first, *again)] == [200, 200, 200]
    assert rig.get(p["id"])["escalation_level"] == 1
    replies = [t for t in rig.thread_texts(p["id"]) if "escalated to" in t]
    assert len(replies) == 1


def test_another_replica_skips_what_the_first_handled(rig: Rig, db_url: str) -> None:
    p = rig.propose()
    first = rig.driver.mention(p["slack"]["channel"], "U0ALICE", "<@UBOT> escalate", thread_ts=p["slack"]["ts"])
    rig.settle()
    other = make_services(
        db_url,
        rig.svc.settings.policies_dir,
        clock=rig.clock,
        slack_bot_token="xoxb-fake",
        slack_signing_secret=SECRET,
        slack_api_url=rig.slack.api_url,
        scheduler_enabled=False,
    )
    app = create_app(services=other, run_scheduler=False)
    try:
        with BackgroundServer(app) as server:
            driver = rig.slack.driver(server.url)
            again = driver.retry(first, num=1, reason="http_error")
            assert app.state.slack_lazy.wait_idle(30)
            driver.close()
    finally:
        other.engine.dispose()
    rig.settle()
    assert (first.status, again.status) == (200, 200)
    assert rig.get(p["id"])["escalation_level"] == 1


def test_old_event_ids_are_pruned(rig: Rig) -> None:
    p = rig.propose()
    old = rig.driver.mention(p["slack"]["channel"], "U0ALICE", "<@UBOT> help", thread_ts=p["slack"]["ts"])
    rig.settle()
    rig.clock.advance(timedelta(days=1, minutes=1))
    new = rig.driver.mention(p["slack"]["channel"], "U0ALICE", "<@UBOT> help", thread_ts=p["slack"]["ts"])
    rig.settle()
    assert _event_ids(rig) == {new.payload["event_id"]}
    assert old.payload["event_id"] != new.payload["event_id"]
