"""Canonical hashes of JSON values (idempotency and duplicate detection)."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def canonical_hash(value: Any) -> str:
    """SHA-256 of the value's canonical JSON (sorted keys, no whitespace)."""
    raw = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()
