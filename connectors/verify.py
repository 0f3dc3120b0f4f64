"""Verify Countersign webhook signatures in your own service (stdlib only, safe to copy).

Every delivery carries::

    Idempotency-Key: <proposal id>          same value on every retry of one execution
    X-Countersign-Timestamp: <unix seconds>
    X-Countersign-Signature: v1=<hex HMAC-SHA256(secret, "v1:" + timestamp + ":" + raw body)>

Example (any framework; pass the raw body bytes, not re-serialized JSON)::

    from connectors.verify import InvalidSignature, verify_webhook

    try:
        verify_webhook(secret=os.environ["REFUND_WEBHOOK_SECRET"], headers=request.headers, body=raw_body)
    except InvalidSignature as exc:
        return 401, exc.reason
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "InvalidSignature", "sign", "verify_webhook"]

TIMESTAMP_HEADER = "X-Countersign-Timestamp"
SIGNATURE_HEADER = "X-Countersign-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
VERSION = "v1"


class InvalidSignature(ValueError):
    """The request was not signed by Countersign with this secret, or is too old to trust."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _key(secret: str | bytes) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret


def sign(secret: str | bytes, timestamp: int | str, body: bytes) -> str:
    """The X-Countersign-Signature value for `body` sent at `timestamp`."""
    message = f"{VERSION}:{timestamp}:".encode() + body
    return f"{VERSION}=" + hmac.new(_key(secret), message, hashlib.sha256).hexdigest()


def verify_webhook(
    *,
    secret: str | bytes,
    headers: Mapping[str, str],
    body: bytes,
    now: float | None = None,
    tolerance: int = 300,
) -> None:
    """Raise InvalidSignature unless `body` is signed with `secret` within `tolerance` seconds of `now`.

    Replay window: a captured request stays valid for `tolerance` seconds either side of its
    timestamp (default 5 minutes, which also absorbs clock skew). Within that window, and across
    Countersign's own retries (each re-signed with a fresh timestamp), the same action can arrive
    more than once: receivers must dedupe on the Idempotency-Key header, which is identical on
    every delivery of one execution.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    timestamp = lowered.get(TIMESTAMP_HEADER.lower())
    signature = lowered.get(SIGNATURE_HEADER.lower())
    if not timestamp:
        raise InvalidSignature(f"missing {TIMESTAMP_HEADER} header")
    if not signature:
        raise InvalidSignature(f"missing {SIGNATURE_HEADER} header")
    if not timestamp.isascii() or not timestamp.isdigit():
        raise InvalidSignature(f"{TIMESTAMP_HEADER} is not unix seconds: {timestamp[:40]!r}")
    age = (time.time() if now is None else now) - int(timestamp)
    if age > tolerance:
        raise InvalidSignature(f"timestamp is {int(age)} s old, beyond the {tolerance} s tolerance")
    if age < -tolerance:
        raise InvalidSignature(f"timestamp is {int(-age)} s in the future, beyond the {tolerance} s tolerance")
    expected = sign(secret, timestamp, body)
    # Several comma-separated signatures are accepted so a sender can rotate secrets without downtime.
    candidates = [part.strip() for part in signature.split(",")]
    if not any(c.startswith(f"{VERSION}=") for c in candidates):
        raise InvalidSignature(f"{SIGNATURE_HEADER} has no {VERSION}= signature")
    if not any(hmac.compare_digest(c.encode(), expected.encode()) for c in candidates):
        raise InvalidSignature("signature mismatch")
