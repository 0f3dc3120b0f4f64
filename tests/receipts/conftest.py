"""The Slack rig (real app over HTTP, fake Slack, webhook receiver) for end-to-end receipt tests."""

from tests.slack.conftest import rig

__all__ = ["rig"]
