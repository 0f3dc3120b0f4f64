"""How big the reliability suites run: COUNTERSIGN_RELIABILITY_SCALE (1 = full size; CI and plain runs use less).

Read once at import, before the autouse fixture that clears COUNTERSIGN_* variables for each test.
"""

from __future__ import annotations

import os

DEFAULT_SCALE = 0.06  # ~60 lifecycles per run: a few kills each, whole suite well under 3 minutes on 2 cores
SCALE = float(os.environ.get("COUNTERSIGN_RELIABILITY_SCALE") or DEFAULT_SCALE)


def scaled(full: int, minimum: int) -> int:
    """`full` at scale 1, proportionally less below (never under `minimum`)."""
    return max(minimum, round(full * SCALE))
