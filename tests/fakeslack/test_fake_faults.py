"""Fault injection against slack_sdk's real retry handlers."""

from __future__ import annotations

import socket

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from bot.fakeslack import FakeSlack

QUICK = FixedValueRetryIntervalCalculator(0.01)  # the handler's default backoff only slows the suite


def test_429_not_retried_by_default(client: WebClient, slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=7)
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="C0SUPPORT", text="x")
    resp = info.value.response
    assert (resp.status_code, resp["error"], resp.headers["Retry-After"]) == (429, "ratelimited", "7")


def test_429_retry_after_honoured_by_rate_limit_handler(slack: FakeSlack) -> None:
    client = WebClient(
        token="xoxb-fake", base_url=slack.api_url, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)]
    )
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    assert client.chat_postMessage(channel="C0SUPPORT", text="after the wait")["ok"]
    calls = slack.calls("chat.postMessage")
    assert [(c.status, c.error) for c in calls] == [(429, "ratelimited"), (200, None)]
    assert [m.text for m in slack.messages("C0SUPPORT")] == ["after the wait"]


@pytest.mark.parametrize(("status", "error"), [(500, "internal_error"), (503, "service_unavailable")])
def test_5xx_retried_by_server_error_handler(slack: FakeSlack, status: int, error: str) -> None:
    client = WebClient(
        token="xoxb-fake",
        base_url=slack.api_url,
        retry_handlers=[ServerErrorRetryHandler(max_retry_count=2, interval_calculator=QUICK)],
    )
    slack.fail_next("chat.postMessage", status=status, count=2)
    assert client.chat_postMessage(channel="C0SUPPORT", text="x")["ok"]
    assert [c.status for c in slack.calls("chat.postMessage")] == [status, status, 200]
    assert slack.calls("chat.postMessage")[0].error == error


def test_fail_next_with_error_only_answers_200(client: WebClient, slack: FakeSlack) -> None:
    slack.fail_next("users.info", error="user_not_visible")
    with pytest.raises(SlackApiError) as info:
        client.users_info(user="U1")
    assert (info.value.response.status_code, info.value.response["error"]) == (200, "user_not_visible")
    assert client.users_info(user="U1")["ok"]


def test_outage(client: WebClient, slack: FakeSlack) -> None:
    with slack.outage():
        with pytest.raises(SlackApiError) as info:
            client.auth_test()
        assert info.value.response.status_code == 503
    assert client.auth_test()["ok"]


def test_fail_rate_is_reproducible_and_scoped(slack: FakeSlack) -> None:
    client = WebClient(token="xoxb-fake", base_url=slack.api_url)

    def outcomes() -> list[int]:
        slack.fail_rate(0.5, methods=["auth.test"], statuses=(500,), seed=3)
        statuses = []
        for _ in range(12):
            try:
                statuses.append(client.auth_test().status_code)
            except SlackApiError as exc:
                statuses.append(exc.response.status_code)
        return statuses

    first, second = outcomes(), outcomes()
    assert first == second
    assert set(first) == {200, 500}
    assert client.users_info(user="U1")["ok"]  # other methods untouched


def test_slow_response_times_out_client_but_still_happens(slack: FakeSlack) -> None:
    slack.fail_rate(1.0, methods=["chat.postMessage"], statuses=(), timeout_seconds=1.5)
    client = WebClient(token="xoxb-fake", base_url=slack.api_url, timeout=0.3, retry_handlers=[])
    with pytest.raises((TimeoutError, socket.timeout)):
        client.chat_postMessage(channel="C0SUPPORT", text="did it post?")
    # The server finishes the work after the client gave up: a blind retry would post twice.
    assert slack.wait_for("chat.postMessage", 1, timeout=5)[0].ok
    assert [m.text for m in slack.messages("C0SUPPORT")] == ["did it post?"]


def test_per_channel_rate_limit(client: WebClient, slack: FakeSlack, clock) -> None:
    slack.rate_limit(per_channel_per_second=1.0, burst=2)
    client.chat_postMessage(channel="C0SUPPORT", text="1")
    client.chat_postMessage(channel="C0SUPPORT", text="2")
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="C0SUPPORT", text="3")
    assert info.value.response.status_code == 429
    assert info.value.response.headers["Retry-After"] == "1"
    assert client.chat_postMessage(channel="G0OPS", text="other channel")["ok"]
    clock.advance(seconds=1.0)
    assert client.chat_postMessage(channel="C0SUPPORT", text="3 again")["ok"]
    slack.rate_limit(None)
    for i in range(5):
        client.chat_postMessage(channel="C0SUPPORT", text=f"free {i}")
