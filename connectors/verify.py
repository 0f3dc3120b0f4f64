"""Verify Countersign webhook signatures and decision receipts in your own service (safe to copy).

Webhook signatures need the standard library only; receipts also need the `cryptography` package.

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

Every delivery of an action also carries ``Countersign-Receipt``: the base64url JSON of a signed decision
receipt. Check it against the payload you are about to act on (docs/receipts.md)::

    from connectors.verify import InvalidReceipt, verify_receipt

    try:
        verify_receipt(COUNTERSIGN_PUBLIC_KEY, request.headers["Countersign-Receipt"], json.loads(raw_body)["payload"])
    except InvalidReceipt as exc:
        return 403, exc.reason
"""

from __future__ import annotations

import base64
import binascii
import decimal
import hashlib
import hmac
import json
import math
import time
from collections.abc import Mapping
from typing import Any

__all__ = [
    "RECEIPT_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "InvalidReceipt",
    "InvalidSignature",
    "canonical_json",
    "sign",
    "verify_receipt",
    "verify_webhook",
]

TIMESTAMP_HEADER = "X-Countersign-Timestamp"
SIGNATURE_HEADER = "X-Countersign-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
RECEIPT_HEADER = "Countersign-Receipt"
EXECUTABLE_DECISIONS = ("approved", "auto_approved")
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


# --- Decision receipts -------------------------------------------------------------------------------------------


class InvalidReceipt(ValueError):
    """The receipt is malformed, not signed by this key, or does not cover this payload or decision."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def b64url_encode(data: bytes) -> str:
    """base64url without padding (RFC 4648 section 5), as every receipt field uses."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Inverse of b64url_encode; padding is optional. Raises ValueError on anything else."""
    if not isinstance(text, str) or not text.isascii():
        raise ValueError("not base64url text")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not base64url: {exc}") from None


def key_id(public_key_raw: bytes) -> str:
    """First 16 hex digits of SHA-256 of the raw 32-byte Ed25519 public key."""
    return hashlib.sha256(public_key_raw).hexdigest()[:16]


def encode_receipt_header(receipt: Mapping[str, Any]) -> str:
    """The Countersign-Receipt header value: base64url (no padding) of the receipt's compact JSON."""
    return b64url_encode(json.dumps(receipt, separators=(",", ":"), ensure_ascii=False).encode())


def _es6_number(value: float) -> str:
    # ECMAScript Number::toString, which RFC 8785 prescribes: shortest round-trip digits (Python's repr has the
    # same digits), plain notation for exponents -7 < n <= 21, otherwise d.ddde±n.
    if not math.isfinite(value):
        raise ValueError("NaN and Infinity have no JSON form")
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    parts = decimal.Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(map(str, parts.digits))
    k, n = len(digits), len(digits) + int(parts.exponent)  # value = 0.<digits> x 10**n
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    e = n - 1
    body = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{body}e{'+' if e > 0 else '-'}{abs(e)}"


def _canonical(value: Any, out: list[str]) -> None:
    if value is None or isinstance(value, bool):
        out.append({None: "null", True: "true", False: "false"}[value])
    elif isinstance(value, int):
        # Beyond ±(2**53 - 1) an integer is the nearest double, as a JavaScript verifier would parse it.
        out.append(str(value) if abs(value) <= 2**53 - 1 else _es6_number(float(value)))
    elif isinstance(value, float):
        out.append(_es6_number(value))
    elif isinstance(value, str):
        value.encode("utf-8")  # lone surrogates cannot be canonicalised: UnicodeEncodeError
        out.append(json.dumps(value, ensure_ascii=False))  # escapes exactly what ECMAScript JSON.stringify does
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _canonical(item, out)
        out.append("]")
    elif isinstance(value, Mapping):
        if not all(isinstance(k, str) for k in value):
            raise ValueError("object keys must be strings")
        out.append("{")
        for i, k in enumerate(sorted(value, key=lambda key: key.encode("utf-16-be"))):  # UTF-16 code unit order
            if i:
                out.append(",")
            _canonical(k, out)
            out.append(":")
            _canonical(value[k], out)
        out.append("}")
    else:
        raise ValueError(f"{type(value).__name__} is not a JSON value")


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical JSON (UTF-8) of a parsed JSON value."""
    out: list[str] = []
    _canonical(value, out)
    return "".join(out).encode("utf-8")


def _public_key(public_key: Any) -> Any:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    if isinstance(public_key, Ed25519PublicKey):
        return public_key
    if isinstance(public_key, str | bytes) and "BEGIN PUBLIC KEY" in (
        public_key if isinstance(public_key, str) else public_key.decode("ascii", "replace")
    ):
        loaded = load_pem_public_key(public_key.encode() if isinstance(public_key, str) else public_key)
        if not isinstance(loaded, Ed25519PublicKey):
            raise InvalidReceipt("the PEM public key is not an Ed25519 key")
        return loaded
    try:
        raw = public_key if isinstance(public_key, bytes) else b64url_decode(public_key.strip())
    except (ValueError, AttributeError):
        raise InvalidReceipt("public key must be an Ed25519 key: PEM, 32 raw bytes or base64url text") from None
    if len(raw) != 32:
        raise InvalidReceipt(f"an Ed25519 public key is 32 bytes, this one is {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


def _receipt_object(receipt: Any) -> dict[str, Any]:
    if isinstance(receipt, Mapping):
        return dict(receipt)
    text = receipt.decode("utf-8", "replace") if isinstance(receipt, bytes) else receipt
    if not isinstance(text, str):
        raise InvalidReceipt("a receipt is a JSON object, its JSON text, or a Countersign-Receipt header value")
    text = text.strip()
    if not text.startswith(("{", "[")):  # the header form
        try:
            text = b64url_decode(text).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise InvalidReceipt("the receipt is neither JSON nor base64url JSON") from None
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        raise InvalidReceipt(f"the receipt is not valid JSON: {exc}") from None
    if not isinstance(parsed, dict):
        raise InvalidReceipt("the receipt must be a JSON object with body, signature and key_id")
    return parsed


_NO_PAYLOAD = object()


def verify_receipt(
    public_key: Any,
    receipt: Any,
    payload: Any = _NO_PAYLOAD,
    *,
    decisions: tuple[str, ...] | None = EXECUTABLE_DECISIONS,
) -> dict[str, Any]:
    """Return the receipt's body if Countersign's key signed it and it covers `payload`; else InvalidReceipt.

    `public_key`: the key from GET /api/v1/receipts/key or `countersign receipts key` (base64url or PEM).
    `receipt`: the Countersign-Receipt header value, the receipt JSON text, or the parsed object.
    `payload`: the parsed JSON payload you are about to act on; its canonical SHA-256 must equal the signed one,
    so a payload that differs in any value is refused. Leave it out only to check the signature alone.
    `decisions`: the outcomes you accept (default: approved or auto-approved); None accepts any final decision.
    """
    from cryptography.exceptions import InvalidSignature as BadSignature

    key = _public_key(public_key)
    document = _receipt_object(receipt)
    body, signature, kid = document.get("body"), document.get("signature"), document.get("key_id")
    if not isinstance(body, dict):
        raise InvalidReceipt("the receipt has no body object")
    if not isinstance(signature, str) or not isinstance(kid, str):
        raise InvalidReceipt("the receipt needs a signature and a key_id (strings)")
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    expected_kid = key_id(key.public_bytes(Encoding.Raw, PublicFormat.Raw))
    if kid != expected_kid:
        raise InvalidReceipt(f"the receipt was signed with key {kid}, not with the given key {expected_kid}")
    try:
        key.verify(b64url_decode(signature), canonical_json(body))
    except (BadSignature, ValueError):
        raise InvalidReceipt("signature mismatch: the receipt body was changed or not signed by this key") from None
    if decisions is not None and body.get("decision") not in decisions:
        raise InvalidReceipt(f"the decision was {body.get('decision')!r}, not {' or '.join(decisions)}")
    if payload is not _NO_PAYLOAD:
        try:
            actual = hashlib.sha256(canonical_json(payload)).hexdigest()
        except (ValueError, UnicodeEncodeError) as exc:
            raise InvalidReceipt(f"the payload is not a JSON value: {exc}") from None
        if not hmac.compare_digest(actual, str(body.get("payload_sha256"))):
            raise InvalidReceipt(
                f"payload mismatch: the receipt covers a payload with SHA-256 {body.get('payload_sha256')}, "
                f"this one has {actual}"
            )
    return body
