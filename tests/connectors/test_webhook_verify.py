"""verify_webhook, the receiver-side check users put in their own services."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from connectors.verify import InvalidSignature, sign, verify_webhook

SECRET = "whsec-receiver"
BODY = b'{"action":"refund","idempotency_key":"k1","payload":{"amount":10}}'
NOW = 1_790_000_000


def signed_headers(body: bytes = BODY, timestamp: int = NOW, secret: str = SECRET) -> dict[str, str]:
    return {"X-Countersign-Timestamp": str(timestamp), "X-Countersign-Signature": sign(secret, timestamp, body)}


def refusal(**overrides: object) -> str:
    arguments = {"secret": SECRET, "headers": signed_headers(), "body": BODY, "now": NOW, **overrides}
    with pytest.raises(InvalidSignature) as caught:
        verify_webhook(**arguments)  # type: ignore[arg-type]
    return caught.value.reason


def test_sign_follows_the_documented_formula() -> None:
    digest = hmac.new(SECRET.encode(), b"v1:" + str(NOW).encode() + b":" + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, NOW, BODY) == f"v1={digest}"


def test_accepts_a_good_signature_with_any_header_case() -> None:
    headers = {name.lower(): value for name, value in signed_headers().items()}
    verify_webhook(secret=SECRET, headers=headers, body=BODY, now=NOW)
    verify_webhook(secret=SECRET.encode(), headers=signed_headers(), body=BODY, now=NOW + 299)


def test_refuses_a_tampered_body() -> None:
    assert refusal(body=BODY.replace(b"10", b"1000")) == "signature mismatch"


def test_refuses_another_secret() -> None:
    assert refusal(secret="guess") == "signature mismatch"


def test_refuses_a_stale_timestamp() -> None:
    assert "old" in refusal(now=NOW + 301)


def test_refuses_a_future_timestamp() -> None:
    assert "future" in refusal(now=NOW - 301)


def test_tolerance_is_configurable() -> None:
    assert "old" in refusal(now=NOW + 61, tolerance=60)


def test_a_replayed_old_signature_with_a_fresh_timestamp_fails() -> None:
    headers = {**signed_headers(timestamp=NOW - 3600), "X-Countersign-Timestamp": str(NOW)}
    assert refusal(headers=headers) == "signature mismatch"


@pytest.mark.parametrize("missing", ["X-Countersign-Timestamp", "X-Countersign-Signature"])
def test_refuses_missing_headers(missing: str) -> None:
    headers = {k: v for k, v in signed_headers().items() if k != missing}
    assert refusal(headers=headers) == f"missing {missing} header"


@pytest.mark.parametrize("timestamp", ["soon", "1790000000.5", "-1790000000", "１２"])
def test_refuses_a_malformed_timestamp(timestamp: str) -> None:
    headers = {**signed_headers(), "X-Countersign-Timestamp": timestamp}
    assert "not unix seconds" in refusal(headers=headers)


def test_refuses_a_signature_without_a_version() -> None:
    headers = {**signed_headers(), "X-Countersign-Signature": sign(SECRET, NOW, BODY).removeprefix("v1=")}
    assert "no v1=" in refusal(headers=headers)


def test_accepts_any_of_several_signatures_for_secret_rotation() -> None:
    rotated = f"{sign('old-secret', NOW, BODY)}, {sign(SECRET, NOW, BODY)}"
    verify_webhook(secret=SECRET, headers={**signed_headers(), "X-Countersign-Signature": rotated}, body=BODY, now=NOW)
