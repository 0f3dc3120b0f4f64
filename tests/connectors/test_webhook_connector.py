"""The webhook connector against a real receiver: signing, idempotency and failure classes."""

from __future__ import annotations

import hashlib
import hmac
import json
from urllib.parse import urlsplit

import pytest
from pydantic import ValidationError
from structlog.testing import capture_logs

from bot.fakes.webhook_receiver import Reply, WebhookReceiver
from bot.targets import TargetRules
from connectors.base import ConnectorContext, ConnectorError
from connectors.webhook import WebhookConnector, encode_body

SECRET = "whsec-test-0123456789"  # the conftest receiver's secret
KEY = "6f1c2a9e-4b7d-4e8a-9c3f-2d5b8a7e1f00"
PAYLOAD = {"order": "A-1001", "amount": 125.5, "note": "refund <@U123> & thanks"}


LOOPBACK = TargetRules.parse("127.0.0.1")  # the receivers listen on loopback


def connector(
    url: str,
    *,
    timeout: float = 2.0,
    env: dict[str, str] | None = None,
    targets: TargetRules = LOOPBACK,
    **extra: object,
) -> WebhookConnector:
    options = {"url": url, "secret_env": "HOOK_SECRET", "timeout": timeout, **extra}
    config = WebhookConnector.Config.model_validate(options)
    context = ConnectorContext(env={"HOOK_SECRET": SECRET} if env is None else env, targets=targets)
    return WebhookConnector(config, context)


def failure(conn: WebhookConnector) -> ConnectorError:
    with pytest.raises(ConnectorError) as caught:
        conn.execute("refund", PAYLOAD, KEY)
    return caught.value


def test_posts_signed_json_with_idempotency_key(receiver: WebhookReceiver) -> None:
    receiver.script(Reply(200, {"refund_id": "R-9"}))
    result = connector(receiver.url, headers={"X-Team": "ops"}).execute("refund", PAYLOAD, KEY)

    [delivery] = receiver.deliveries
    assert delivery.error is None  # the receiver verified the signature with connectors.verify
    assert delivery.body == encode_body("refund", PAYLOAD, KEY)
    assert delivery.json == {"action": "refund", "payload": PAYLOAD, "idempotency_key": KEY}
    assert delivery.body == json.dumps(delivery.json, separators=(",", ":"), sort_keys=True).encode()
    assert delivery.headers["idempotency-key"] == KEY
    assert delivery.headers["content-type"] == "application/json"
    assert delivery.headers["x-team"] == "ops"
    timestamp = delivery.headers["x-countersign-timestamp"]
    expected = hmac.new(SECRET.encode(), f"v1:{timestamp}:".encode() + delivery.body, hashlib.sha256)
    assert delivery.headers["x-countersign-signature"] == f"v1={expected.hexdigest()}"
    assert result.data == {"refund_id": "R-9"}
    assert "200" in result.summary


def test_non_json_success_body_is_kept_as_text(receiver: WebhookReceiver) -> None:
    receiver.script(Reply(202, b"queued"))
    result = connector(receiver.url).execute("refund", PAYLOAD, KEY)
    assert result.data == {"status": 202, "body": "queued"}


def test_retries_carry_the_same_idempotency_key_and_body(receiver: WebhookReceiver) -> None:
    receiver.script(500, 503)
    conn = connector(receiver.url)
    for _ in range(2):
        assert failure(conn).retryable
    conn.execute("refund", PAYLOAD, KEY)

    assert len(receiver.deliveries) == 3
    assert {d.headers["idempotency-key"] for d in receiver.deliveries} == {KEY}
    assert len({d.body for d in receiver.deliveries}) == 1
    assert all(d.error is None for d in receiver.deliveries)


def test_429_is_retryable_with_retry_after(receiver: WebhookReceiver) -> None:
    receiver.script(Reply(429, {"error": "slow down"}, headers={"Retry-After": "7"}))
    error = failure(connector(receiver.url))
    assert error.retryable
    assert error.details["retry_after"] == 7.0


def test_4xx_is_permanent_with_the_status_not_the_receivers_body(receiver: WebhookReceiver) -> None:
    receiver.script(Reply(422, {"error": "order A-1001 is already refunded"}))
    with capture_logs() as logs:
        error = failure(connector(receiver.url))
    assert not error.retryable
    assert error.message == f"webhook 127.0.0.1:{urlsplit(receiver.url).port} answered 422: Unprocessable Entity"
    [logged] = [e for e in logs if e["log_level"] == "warning"]  # operators see the body in the log
    assert "order A-1001 is already refunded" in logged["body"]


def test_wrong_secret_is_refused_by_the_receiver_and_permanent() -> None:
    with WebhookReceiver("another-secret") as other:
        error = failure(connector(other.url))
    assert not error.retryable
    assert "401" in error.message
    assert "signature" not in error.message


def test_redirects_are_not_followed(receiver: WebhookReceiver) -> None:
    receiver.script(Reply(302, b"", headers={"Location": "http://127.0.0.1:9/elsewhere"}))
    error = failure(connector(receiver.url))
    assert not error.retryable
    assert len(receiver.deliveries) == 1


def test_timeout_is_retryable(receiver: WebhookReceiver) -> None:
    receiver.script(Reply(delay=5))
    error = failure(connector(receiver.url, timeout=0.3))
    assert error.retryable
    assert "timed out" in error.message


def test_silent_server_times_out(silent_port: int) -> None:
    error = failure(connector(f"http://127.0.0.1:{silent_port}/hook", timeout=0.3))
    assert error.retryable


def test_connection_refused_is_retryable(refused_port: int) -> None:
    error = failure(connector(f"http://127.0.0.1:{refused_port}/hook"))
    assert error.retryable
    assert "unreachable" in error.message


def test_connection_closed_without_answer_is_retryable(receiver: WebhookReceiver) -> None:
    receiver.script(Reply(close=True))
    assert failure(connector(receiver.url)).retryable


def test_missing_secret_is_permanent_and_names_the_variable(receiver: WebhookReceiver) -> None:
    error = failure(connector(receiver.url, env={}))
    assert not error.retryable
    assert "HOOK_SECRET" in error.message
    assert receiver.deliveries == []


@pytest.mark.parametrize(
    "options",
    [
        {"url": "https://ops.example.com/hook", "secret_env": "S", "retries": 3},
        {"url": "ftp://ops.example.com/hook", "secret_env": "S"},
        {"url": "not a url", "secret_env": "S"},
        {"url": "https://ops.example.com/hook"},
        {"url": "https://ops.example.com/hook", "secret_env": "S", "timeout": 0},
        {"url": "https://ops.example.com/hook", "secret_env": "S", "headers": {"idempotency-key": "x"}},
    ],
)
def test_bad_config_is_refused(options: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        WebhookConnector.Config.model_validate(options)


def test_config_keeps_the_url_as_written() -> None:
    config = WebhookConnector.Config.model_validate({"url": "https://ops.example.com", "secret_env": "S"})
    assert config.url == "https://ops.example.com"
    assert config.timeout == 10
    assert config.headers == {}
