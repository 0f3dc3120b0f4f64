"""Digest fixtures: the fake Slack workspace and services posting digests to it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.clock import FakeClock
from bot.fakeslack import FakeSlack
from bot.flow.context import Services
from tests.digest.slackrig import publisher, workspace


@pytest.fixture
def slack_workspace(clock: FakeClock) -> dict[str, Any]:
    """The workspace `slack` serves here: the review channel and its people."""
    return workspace(clock)


@pytest.fixture
def posting(svc: Services, slack: FakeSlack) -> Services:
    """The `payouts` services, posting digests to the fake Slack."""
    return replace(svc, publisher=publisher(slack))
