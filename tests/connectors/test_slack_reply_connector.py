"""The slack_reply connector against a local Slack Web API speaking the real wire format."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.errors import ConnectorError
from connectors.base import ConnectorContext
from connectors.slack_reply import SlackReplyConnector, escape_mrkdwn
from tests.connectors.fake_slack import FakeSlackApi, SlackReply

KEY = "6f1c2a9e-4b7d-4e8a-9c3f-2d5b8a7e1f00"
PAYLOAD = {"thread_ts": "1712345000.000100", "text": "Refund sent <!channel> & see <https://evil.example|your bank>"}


def connector(base_url: str | None, channel: str | None = "C0SUPPORT", **client: Any) -> SlackReplyConnector:
    web = WebClient(token="xoxb-test", base_url=base_url, **client) if base_url else None
    config = SlackReplyConnector.Config.model_validate({"channel": channel} if channel else {})
    return SlackReplyConnector(config, ConnectorContext(env={}, slack_client=web))


def failure(conn: SlackReplyConnector, payload: dict[str, Any] = PAYLOAD) -> ConnectorError:
    with pytest.raises(ConnectorError) as caught:
        conn.execute("reply", payload, KEY)
    return caught.value


def test_posts_escaped_text_in_the_thread_with_traceable_metadata(slack_api: FakeSlackApi) -> None:
    result = connector(slack_api.base_url).execute("reply", PAYLOAD, KEY)

    [post] = slack_api.posts
    assert post["channel"] == "C0SUPPORT" and post["thread_ts"] == PAYLOAD["thread_ts"]
    assert post["text"] == "Refund sent &lt;!channel&gt; &amp; see &lt;https://evil.example|your bank&gt;"
    assert post["metadata"] == {"event_type": "countersign_execution", "event_payload": {"idempotency_key": KEY}}
    assert result.data == {"channel": "C0SUPPORT", "ts": "1712345678.000001"}


def test_payload_channel_overrides_the_configured_one(slack_api: FakeSlackApi) -> None:
    slack_api.channels.add("C0OTHER")
    connector(slack_api.base_url).execute("reply", {**PAYLOAD, "channel": "C0OTHER"}, KEY)
    assert slack_api.posts[0]["channel"] == "C0OTHER"


def test_escape_mrkdwn_escapes_ampersand_first() -> None:
    assert escape_mrkdwn("a&b <@U1> &lt;") == "a&amp;b &lt;@U1&gt; &amp;lt;"


def test_without_slack_it_is_permanent() -> None:
    error = failure(connector(None))
    assert not error.retryable and error.message == "Slack is not configured"


def test_unknown_channel_is_permanent_with_the_slack_error(slack_api: FakeSlackApi) -> None:
    error = failure(connector(slack_api.base_url, channel="C0GONE"))
    assert not error.retryable and "channel_not_found" in error.message


@pytest.mark.parametrize("code", ["not_in_channel", "is_archived", "thread_not_found", "msg_too_long"])
def test_slack_refusals_are_permanent(slack_api: FakeSlackApi, code: str) -> None:
    slack_api.script(SlackReply(body={"ok": False, "error": code}))
    error = failure(connector(slack_api.base_url))
    assert not error.retryable and code in error.message
    assert error.details["slack_error"] == code


def test_rate_limit_is_retryable_with_retry_after(slack_api: FakeSlackApi) -> None:
    slack_api.script(SlackReply(429, {"ok": False, "error": "ratelimited"}, headers={"Retry-After": "12"}))
    error = failure(connector(slack_api.base_url))
    assert error.retryable and error.details["retry_after"] == 12.0


@pytest.mark.parametrize(
    "reply",
    [
        SlackReply(500, b"<html>Internal Server Error</html>"),
        SlackReply(503, {"ok": False, "error": "service_unavailable"}),
        SlackReply(body={"ok": False, "error": "internal_error"}),
        SlackReply(close=True),
    ],
)
def test_slack_outages_are_retryable(slack_api: FakeSlackApi, reply: SlackReply) -> None:
    slack_api.script(reply)
    assert failure(connector(slack_api.base_url)).retryable


def test_one_attempt_even_when_the_lent_client_would_retry(slack_api: FakeSlackApi) -> None:
    slack_api.script(SlackReply(429, {"ok": False, "error": "ratelimited"}, headers={"Retry-After": "30"}))
    conn = connector(slack_api.base_url, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=3)])
    assert failure(conn).retryable
    assert slack_api.calls == 1  # the outbox retries later; execute() never sleeps


def test_connection_refused_is_retryable(refused_port: int) -> None:
    assert failure(connector(f"http://127.0.0.1:{refused_port}/api/")).retryable


def test_timeout_is_retryable(silent_port: int) -> None:
    assert failure(connector(f"http://127.0.0.1:{silent_port}/api/", timeout=0.3)).retryable


def test_problems_before_anything_is_sent(slack_api: FakeSlackApi) -> None:
    conn = connector(slack_api.base_url, channel=None)
    assert conn.problems("reply", {"thread_ts": "yesterday", "text": "  "}) == [
        ("channel", "is required (no default channel is configured)"),
        ("thread_ts", "must be a Slack message timestamp like 1712345678.123456"),
        ("text", "is required"),
    ]
    long_text = {**PAYLOAD, "channel": "C0SUPPORT", "text": "<" * 20_000}  # 80,000 characters once escaped
    assert [path for path, _ in conn.problems("reply", long_text)] == ["text"]
    assert not failure(conn).retryable
    assert slack_api.calls == 0


def test_config_refuses_unknown_keys() -> None:
    with pytest.raises(ValidationError):
        SlackReplyConnector.Config.model_validate({"channel": "C1", "thread": "x"})
