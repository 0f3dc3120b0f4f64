"""The slack_reply connector against the fake Slack (a real HTTP server speaking the Web API wire format)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.fakeslack import FakeSlack
from connectors.base import ConnectorContext, ConnectorError
from connectors.slack_reply import SlackReplyConnector

KEY = "6f1c2a9e-4b7d-4e8a-9c3f-2d5b8a7e1f00"
TEXT = "Refund sent <!channel> & see <https://evil.example|your bank>"
CHANNELS = {
    "C0SUPPORT": {"name": "support", "members": ["UBOT", "U0AGENT"]},
    "C0OTHER": {"name": "other", "members": ["UBOT", "U0AGENT"]},
}


@pytest.fixture
def slack_workspace() -> dict[str, Any]:
    """The workspace `slack` serves here: the customer in two channels."""
    return {"signing_secret": "secret", "users": {"U0AGENT": {"name": "customer"}}, "channels": CHANNELS}


@pytest.fixture
def payload(slack: FakeSlack) -> dict[str, Any]:
    parent = slack.post_as_user("C0SUPPORT", "U0AGENT", "my order never arrived")
    return {"thread_ts": parent.ts, "text": TEXT}


def connector(base_url: str | None, channel: str | None = "C0SUPPORT", **client: Any) -> SlackReplyConnector:
    web = WebClient(token="xoxb-fake", base_url=base_url, **client) if base_url else None
    config = SlackReplyConnector.Config.model_validate({"channel": channel} if channel else {})
    return SlackReplyConnector(config, ConnectorContext(env={}, slack_client=web))


def failure(conn: SlackReplyConnector, payload: dict[str, Any]) -> ConnectorError:
    with pytest.raises(ConnectorError) as caught:
        conn.execute("reply", payload, KEY)
    return caught.value


def test_posts_escaped_text_in_the_thread_with_traceable_metadata(slack: FakeSlack, payload: dict) -> None:
    result = connector(slack.api_url).execute("reply", payload, KEY)
    [reply] = slack.thread("C0SUPPORT", payload["thread_ts"])[1:]
    assert reply.text == "Refund sent &lt;!channel&gt; &amp; see &lt;https://evil.example|your bank&gt;"
    assert reply.metadata == {"event_type": "countersign_execution", "event_payload": {"idempotency_key": KEY}}
    assert slack.mentions_in("C0SUPPORT") == []
    assert result.data == {"channel": "C0SUPPORT", "ts": reply.ts}


def test_payload_channel_overrides_the_configured_one(slack: FakeSlack) -> None:
    parent = slack.post_as_user("C0OTHER", "U0AGENT", "hello")
    connector(slack.api_url).execute("reply", {"channel": "C0OTHER", "thread_ts": parent.ts, "text": "hi"}, KEY)
    assert [m.text for m in slack.thread("C0OTHER", parent.ts)] == ["hello", "hi"]


def test_without_slack_it_is_permanent() -> None:
    error = failure(connector(None), {"thread_ts": "1712345000.000100", "text": "hi"})
    assert not error.retryable
    assert error.message == "Slack is not configured"


def test_unknown_channel_is_permanent_with_the_slack_error(slack: FakeSlack, payload: dict) -> None:
    error = failure(connector(slack.api_url, channel="C0GONE"), payload)
    assert not error.retryable
    assert "channel_not_found" in error.message


@pytest.mark.parametrize("code", ["not_in_channel", "is_archived", "thread_not_found", "msg_too_long"])
def test_slack_refusals_are_permanent(slack: FakeSlack, payload: dict, code: str) -> None:
    slack.fail_next("chat.postMessage", error=code)
    error = failure(connector(slack.api_url), payload)
    assert not error.retryable
    assert code in error.message
    assert error.details["slack_error"] == code


def test_rate_limit_is_retryable_with_retry_after(slack: FakeSlack, payload: dict) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=12)
    error = failure(connector(slack.api_url), payload)
    assert error.retryable
    assert error.details["retry_after"] == 12.0


@pytest.mark.parametrize(("status", "error"), [(500, None), (503, "service_unavailable"), (200, "internal_error")])
def test_slack_outages_are_retryable(slack: FakeSlack, payload: dict, status: int, error: str | None) -> None:
    slack.fail_next("chat.postMessage", status=status, error=error)
    assert failure(connector(slack.api_url), payload).retryable


def test_one_attempt_even_when_the_lent_client_would_retry(slack: FakeSlack, payload: dict) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=30)
    conn = connector(slack.api_url, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=3)])
    assert failure(conn, payload).retryable
    assert len(slack.calls("chat.postMessage")) == 1  # the outbox retries later; execute() never sleeps


REPLY = {"thread_ts": "1712345000.000100", "text": "hi"}


def test_connection_refused_is_retryable(refused_port: int) -> None:
    assert failure(connector(f"http://127.0.0.1:{refused_port}/api/"), REPLY).retryable


def test_timeout_is_retryable(silent_port: int) -> None:
    assert failure(connector(f"http://127.0.0.1:{silent_port}/api/", timeout=0.3), REPLY).retryable


def test_problems_before_anything_is_sent(slack: FakeSlack, payload: dict) -> None:
    conn = connector(slack.api_url, channel=None)
    assert conn.problems("reply", {"thread_ts": "yesterday", "text": "  "}) == [
        ("channel", "is required (no default channel is configured)"),
        ("thread_ts", "must be a Slack message timestamp like 1712345678.123456"),
        ("text", "is required"),
    ]
    long_text = {**payload, "channel": "C0SUPPORT", "text": "<" * 20_000}  # 80,000 characters once escaped
    assert [path for path, _ in conn.problems("reply", long_text)] == ["text"]
    assert not failure(conn, {**payload, "text": " "}).retryable
    assert slack.calls("chat.postMessage") == []


def test_config_refuses_unknown_keys() -> None:
    with pytest.raises(ValidationError):
        SlackReplyConnector.Config.model_validate({"channel": "C1", "thread": "x"})
