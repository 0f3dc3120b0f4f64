"""The fake Slack fixture, declared once: `slack` is a started FakeSlack serving `slack_workspace`.

`slack_workspace` (FakeSlack's keyword arguments) defaults to the team the Slack, security and reliability suites use;
a conftest or module that needs other people or channels overrides `slack_workspace`, never `slack`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.fakeslack import FakeSlack

SECRET = "slack-signing-secret"
ROOT = Path(__file__).resolve().parents[1]
ONCALL = [f"U0OC{i:02d}" for i in range(50)]
PEOPLE = ["U0ALICE", "U0BOB", "U0CAROL", "U0DAVE", "U0OWNER", "U0MALLORY", *ONCALL]


def manifest_scopes() -> list[str]:
    """The bot scopes manifest.yml asks for (the fake grants exactly these)."""
    return list(yaml.safe_load((ROOT / "manifest.yml").read_text())["oauth_config"]["scopes"]["bot"])


def channels() -> dict[str, dict[str, Any]]:
    everyone = ["UBOT", *PEOPLE]
    return {
        "C0PAYOUTS": {"name": "payouts", "members": everyone},
        "C0REVIEW": {"name": "review", "members": everyone},
        "C0OPS": {"name": "ops", "members": everyone},
        "C0AGENT": {"name": "agent-work", "members": everyone},
        "C0NOBOT": {"name": "no-bot", "members": PEOPLE},
        "C0ARCHIVED": {"name": "old", "members": everyone, "is_archived": True},
    }


def team() -> dict[str, Any]:
    """The default workspace: the people, on-call group and channels the test policies name."""
    return {
        "signing_secret": SECRET,
        "users": {u: {"name": u.lower()} for u in PEOPLE},
        "usergroups": {"S0LEADS": ["U0DAVE"], "S0ONCALL": ONCALL},
        "channels": channels(),
        "scopes": manifest_scopes(),
    }


@pytest.fixture
def slack_workspace() -> dict[str, Any]:
    """FakeSlack's keyword arguments; override this fixture for another workspace."""
    return team()


@pytest.fixture
def slack(slack_workspace: dict[str, Any]) -> Iterator[FakeSlack]:
    """A started fake Slack (a real HTTP server speaking the Web API) serving `slack_workspace`."""
    with FakeSlack(**slack_workspace) as fake:
        yield fake
