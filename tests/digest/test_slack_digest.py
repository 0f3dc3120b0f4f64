"""The "Mark reviewed" button through a real Bolt app, signed clicks from the fake Slack's driver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk import WebClient
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.clock import FakeClock
from bot.digest.period import Period
from bot.fakeslack import BackgroundServer, FakeSlack, SlackDriver
from bot.flow import digest
from bot.flow.context import Services
from bot.flow.ports import NotifyError
from bot.slack.digest import SlackDigestPublisher
from bot.slack.ids import Id
from bot.slack.listeners.digest import register
from bot.store import digests
from bot.store.db import session_scope
from tests.digest.slackrig import SECRET


def bolt_asgi(app: App) -> Starlette:
    """POST /slack/events -> app.dispatch on a worker thread (dispatch blocks)."""

    async def events(request: Request) -> Response:
        bolt_request = to_bolt_request(request, await request.body())
        return to_starlette_response(await run_in_threadpool(app.dispatch, bolt_request))

    return Starlette(routes=[Route("/slack/events", events, methods=["POST"])])


@pytest.fixture
def driver(posting: Services, slack: FakeSlack) -> Iterator[SlackDriver]:
    app = App(
        client=WebClient(token="xoxb-fake", base_url=slack.api_url),
        signing_secret=SECRET,
        token_verification_enabled=False,
        process_before_response=True,
    )
    register(app, posting)
    with BackgroundServer(bolt_asgi(app)) as server, slack.driver(server.url) as drv:
        yield drv


def test_first_click_records_the_reviewer_and_updates_the_message(
    posting: Services, slack: FakeSlack, driver: SlackDriver, clock: FakeClock
) -> None:
    ts = digest.run(posting, period=Period(2026, 10), workflow="payouts").ts
    clock.advance(hours=2)
    resp = driver.click("C0REVIEW", ts, Id.MARK_REVIEWED, "U0ALICE")
    assert resp.status == 200
    assert resp.text == ""
    slack.wait_for("chat.update")
    blocks = slack.message("C0REVIEW", ts).blocks
    assert blocks[-1]["elements"][0]["text"] == "✅ Reviewed by <@U0ALICE> on 2026-11-02 11:00"
    assert Id.MARK_REVIEWED not in str(blocks)
    assert "Monthly digest · payouts" in str(blocks)
    with session_scope(posting.engine) as s:
        run = digests.get(session=s, period="2026-10", workflow="payouts")
    assert (run.reviewed_by, run.reviewed_at) == ("U0ALICE", clock.now())
    assert slack.ephemerals() == []
    assert slack.problems == []


def test_a_later_click_is_told_who_reviewed_first(
    posting: Services, slack: FakeSlack, driver: SlackDriver, clock: FakeClock
) -> None:
    ts = digest.run(posting, period=Period(2026, 10), workflow="payouts").ts
    digest.mark_reviewed(posting, period="2026-10", workflow="payouts", user="U0BOB")  # his update is not shown yet
    clock.advance(minutes=10)
    driver.click("C0REVIEW", ts, Id.MARK_REVIEWED, "U0ALICE")
    slack.wait_for("response_url")
    [note] = slack.ephemerals(user="U0ALICE")
    assert note.text == "Already reviewed by <@U0BOB> on 2026-11-02 09:00 (UTC)."
    slack.wait_for("chat.update")
    assert "Reviewed by <@U0BOB>" in str(slack.message("C0REVIEW", ts).blocks)


def test_publisher_maps_slack_errors_to_retryable_or_not(slack: FakeSlack, posting: Services) -> None:
    pub: SlackDigestPublisher = posting.publisher  # type: ignore[assignment]
    report = digest.preview(posting, period=Period(2026, 10), workflow="payouts")
    slack.fail_next("chat.postMessage", 429, retry_after=7)
    with pytest.raises(NotifyError) as limited:
        pub.post_digest(report)
    assert (limited.value.retryable, limited.value.retry_after) == (True, 7.0)
    slack.remove_member("C0REVIEW", "UBOT")
    ref = pub.post_digest(report)  # chat:write.public: posting still works outside the channel
    with pytest.raises(NotifyError, match="not_in_channel") as refused:
        pub.post_chart(report, ref, b"\x89PNG\r\n\x1a\n")  # files need membership
    assert refused.value.retryable is False
