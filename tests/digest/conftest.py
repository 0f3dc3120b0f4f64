"""Digest fixtures: the fake Slack workspace and services posting digests to it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from bot.clock import FakeClock
from bot.fakeslack import FakeSlack
from bot.flow.context import Services
from tests.digest.slackrig import fake_slack, publisher


@pytest.fixture
def slack(clock: FakeClock) -> Iterator[FakeSlack]:
    with fake_slack(clock) as fake:
        yield fake


@pytest.fixture
def posting(svc: Services, slack: FakeSlack) -> Services:
    """The `payouts` services, posting digests to the fake Slack."""
    return replace(svc, publisher=publisher(slack))
