"""A fake Slack workspace with the review channel, and the real digest publisher talking to it."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.clock import FakeClock
from bot.fakeslack import FakeSlack
from bot.slack.digest import SlackDigestPublisher

SECRET = "digest-signing-secret"
USERS = {uid: {"name": uid.lower(), "real_name": uid} for uid in ("U0OWNER", "U0ALICE", "U0BOB")}
CHANNELS = {"C0REVIEW": {"name": "review", "members": ["UBOT", "U0OWNER", "U0ALICE", "U0BOB"]}}


def workspace(clock: FakeClock) -> dict[str, Any]:
    """The fake Slack's keyword arguments (the `slack_workspace` of the digest suite)."""
    return {"signing_secret": SECRET, "users": USERS, "channels": CHANNELS, "clock": clock}


def publisher(slack: FakeSlack) -> SlackDigestPublisher:
    """The real Slack publisher, talking HTTP to the fake."""
    return SlackDigestPublisher(WebClient(token="xoxb-fake", base_url=slack.api_url))
