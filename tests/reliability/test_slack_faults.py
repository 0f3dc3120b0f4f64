"""Slack misbehaving for a while: 30% of Web API calls (every method, response_url included) answered 429, 500 or
503, or stalled past the client's timeout. Meanwhile agents propose and people click. Afterwards every message is
posted, every update applied (the message shows the decision and the execution), every thread note posted once,
and nothing crashed (no unexpected exception logged, no 5xx to Slack or agents). The one duplicate Slack's Web API
allows: a post that timed out on our side but went through on Slack's is posted again (no idempotency key); the
test bounds those by the timeouts seen, and an expected-to-fail test pins the gap.

The app runs in this process with its real scheduler; its clock runs 20x faster than the wall clock, so retries
scheduled minutes ahead (the outbox's backoff) come round in seconds. Size: COUNTERSIGN_RELIABILITY_SCALE.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select
from structlog.testing import capture_logs

from bot.app import create_app
from bot.fakes.webhook_receiver import WebhookReceiver
from bot.fakeslack import BackgroundServer, FakeSlack
from bot.flow.context import Services
from bot.store.db import read_scope
from bot.store.models import DueWork, Proposal
from bot.words import plural
from tests.factories import add_agent, make_services, proposal, write_policies
from tests.reliability.lifecycles import tag
from tests.reliability.procs import wait_until
from tests.reliability.scale import scaled
from tests.workspace import SECRET

PROPOSALS = scaled(200, 30)
FAILURE_RATE = 0.3
CLIENT_TIMEOUT = 1.0  # seconds; Slack stalls twice as long on a "timeout" (the call completes on Slack's side)


class FastClock:
    """The wall clock running 20x faster: backoffs of minutes pass in seconds, everything keeps its order."""

    SPEED = 20

    def __init__(self) -> None:
        self._origin, self._wall = datetime.now(UTC), time.monotonic()

    def now(self) -> datetime:
        return self._origin + timedelta(seconds=(time.monotonic() - self._wall) * self.SPEED)


@pytest.fixture
def served(
    tmp_path: Path, receiver: WebhookReceiver, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Services, FakeSlack, Any, str]]:
    monkeypatch.setattr("bot.slack.client.TIMEOUT_SECONDS", CLIENT_TIMEOUT)
    policies = write_policies(tmp_path / "policies", webhook_url=receiver.url)
    svc = make_services(
        f"sqlite:///{tmp_path}/countersign.db",
        policies,
        clock=FastClock(),
        slack_bot_token="xoxb-fake",
        slack_signing_secret=SECRET,
        slack_api_url=slack.api_url,
        sweep_seconds=0.2,
    )
    app = create_app(services=svc)
    with BackgroundServer(app) as server:
        app.state.runner.start()
        try:
            yield svc, slack, app, server.url
        finally:
            app.state.runner.shutdown()
            app.state.slack_lazy.wait_idle(10)
    svc.engine.dispose()


def _message(slack: FakeSlack, i: int) -> list[Any]:
    return [m for m in slack.find_messages(tag(i), channel="C0PAYOUTS") if m.thread_ts is None]


def _open_work(svc: Services) -> list[DueWork]:
    with read_scope(svc.engine) as s:
        return [
            w
            for w in s.exec(select(DueWork)).all()
            if w.kind in {"slack_post", "slack_update", "slack_note", "execute"} and w.state != "done"
        ]


@pytest.mark.slow
def test_slack_failing_30_percent_of_calls_for_a_while(served: tuple[Services, FakeSlack, Any, str]) -> None:
    svc, slack, app, url = served
    token = add_agent(svc)
    driver = slack.driver(url)
    http = httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {token}"})
    ids: dict[int, str] = {}
    with capture_logs() as logs:
        slack.fail_rate(FAILURE_RATE, timeout_seconds=2 * CLIENT_TIMEOUT, seed=5)  # the bad period starts
        for i in range(PROPOSALS):
            amount = 5 if i % 4 == 0 else 100  # a quarter run on their own, the rest wait for a click
            r = http.post(
                "/api/v1/proposals",
                json=proposal(summary=f"Pay vendor {tag(i)}", payload={"to": f"v{i}@example.com", "amount": amount}),
            )
            assert r.status_code == 201, r.text
            ids[i] = r.json()["id"]
        to_click = [i for i in ids if i % 4]
        clicked: set[int] = set()

        def click_what_is_posted() -> bool:
            for i in to_click:
                msgs = _message(slack, i)
                if i not in clicked and msgs and "cs_approve" in str(msgs[-1].blocks):
                    resp = driver.click("C0PAYOUTS", msgs[-1].ts, "cs_approve", "U0ALICE")
                    assert resp.status == 200, resp.text  # Slack is answered at once, whatever Slack does to us
                    clicked.add(i)
            return len(clicked) == len(to_click)

        wait_until(click_what_is_posted, timeout=60 + 3 * PROPOSALS, what="every message posted and clicked")
        failed_calls = sum(1 for c in slack.calls() if c.status >= 400)
        slack.fail_rate(0.0)  # the bad period ends
        assert app.state.slack_lazy.wait_idle(30)
        # One message a second per channel once Slack has said 429 there (pacing): the backlog drains at that rate.
        wait_until(lambda: not _open_work(svc), timeout=60 + 3 * PROPOSALS, what="every message, update and note")
    http.close()
    driver.close()

    with read_scope(svc.engine) as s:
        rows = {p.id: p for p in s.exec(select(Proposal)).all()}
    assert {p.execution_status for p in rows.values()} == {"succeeded"}, [
        (i, rows[pid].status, rows[pid].execution_status)
        for i, pid in ids.items()
        if rows[pid].execution_status != "succeeded"
    ]
    timed_out = _timed_out_posts(logs)
    orphans = extra_notes = 0
    for i, pid in ids.items():
        p = rows[pid]
        if i % 4 == 0:
            assert p.status == "auto_approved"
            assert not _message(slack, i)
            continue
        assert p.status == "approved"
        assert p.decided_by == "U0ALICE"
        msgs = _message(slack, i)
        [msg] = [m for m in msgs if m.ts == p.slack_ts]  # never lost
        assert msg.text.startswith("Approved · payouts / send")  # every update applied
        assert "✅ *Executed*" in str(msg.blocks)
        assert "cs_approve" not in str(msg.blocks)
        orphans += len(msgs) - 1
        notes = Counter(m.text.split(":")[0] for m in slack.thread("C0PAYOUTS", msg.ts) if m.ts != msg.ts)
        executed = notes.pop("✅ Executed", 0)
        assert executed >= 1, notes  # the execution is told in the thread
        # At full size the last clicks come hours later on the 20x clock, after their reminders and escalations.
        assert all(kind.startswith(("⏰ Reminder", "📣 Escalated")) for kind in notes), notes
        extra_notes += executed - 1 + sum(n - 1 for n in notes.values())
    # A second message only ever follows a post that timed out on our side but went through on Slack's: the
    # Web API has no idempotency key, and without history scopes the app cannot look (see docs/security.md).
    assert orphans <= timed_out["slack_post"], (orphans, timed_out)
    assert extra_notes <= timed_out["slack_note"], (extra_notes, timed_out)
    crashes = [e for e in logs if e.get("log_level") in {"error", "critical"} or e.get("exc_info")]
    assert crashes == [], crashes[:3]
    assert failed_calls > PROPOSALS // 2  # the faults really happened
    extras = f"{plural(orphans, 'extra message')} and {plural(extra_notes, 'extra note')}"
    lost = f"{plural(timed_out['slack_post'], 'post')} and {plural(timed_out['slack_note'], 'note')}"
    print(
        f"\nSlack faults: {PROPOSALS} proposals, {len(to_click)} clicks, {failed_calls} Slack calls failed or "
        f"stalled past the client timeout; every message, update and note delivered; {extras} after {lost} "
        "timed out on our side but reached Slack"
    )


def _timed_out_posts(logs: list[dict[str, Any]]) -> Counter[str]:
    """Due work whose Slack call timed out on our side (Slack may still have done it)."""
    return Counter(
        e.get("kind") for e in logs if e.get("event") == "due work will retry" and "timed out" in str(e.get("error"))
    )


@pytest.mark.xfail(
    strict=True,
    reason="chat.postMessage has no idempotency key: a post that times out on our side "
    "but reaches Slack is posted again (finding it needs history scopes)",
)
def test_a_post_that_times_out_but_reaches_slack_is_not_posted_twice(
    served: tuple[Services, FakeSlack, Any, str],
) -> None:
    svc, slack, _, url = served
    slack.fail_rate(1.0, methods=["chat.postMessage"], statuses=(), timeout_seconds=2 * CLIENT_TIMEOUT)
    r = httpx.post(
        f"{url}/api/v1/proposals",
        json=proposal(summary=f"Pay vendor {tag(0)}"),
        headers={"Authorization": f"Bearer {add_agent(svc)}"},
    )
    assert r.status_code == 201
    wait_until(lambda: len(slack.calls("chat.postMessage")) >= 1, timeout=30, what="the first post")
    slack.fail_rate(0.0)
    wait_until(lambda: not _open_work(svc), timeout=60, what="the post delivered")
    assert len(_message(slack, 0)) == 1
