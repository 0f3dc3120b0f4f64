"""Adapter fixtures: the real service running the shipped example policies (the examples propose refunds)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.flow.context import Services
from tests.factories import make_services
from tests.live import human, live

__all__ = ["human", "live"]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def svc(db_url: str, clock: FakeClock) -> Iterator[Services]:
    """Services over policies/ (refunds: U0FINANCE1 and U0FINANCE2 approve)."""
    s = make_services(db_url, ROOT / "policies", clock=clock, env={"REFUND_WEBHOOK_SECRET": "whsec-example"})
    yield s
    s.engine.dispose()
