"""RFC 8785 (JSON Canonicalization Scheme) bytes of a JSON value, via the rfc8785 package."""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785

SAFE_INTEGER = 2**53 - 1


def _as_ijson(value: Any) -> Any:
    # RFC 8785 numbers are IEEE doubles. An integer beyond ±(2**53 - 1) is compared as the nearest double, which
    # is what a JavaScript (or any I-JSON) verifier parsing the same payload computes; the library refuses them.
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if -SAFE_INTEGER <= value <= SAFE_INTEGER else float(value)
    if isinstance(value, dict):
        return {k: _as_ijson(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_as_ijson(v) for v in value]
    return value


def canonical_json(value: Any) -> bytes:
    """The canonical UTF-8 bytes of `value` (sorted keys by UTF-16 code units, ES6 number forms, no spaces)."""
    return rfc8785.dumps(_as_ijson(value))


def payload_sha256(payload: Any) -> str:
    """Lowercase hex SHA-256 of the payload's canonical JSON: what a receipt says will execute."""
    return hashlib.sha256(canonical_json(payload)).hexdigest()
