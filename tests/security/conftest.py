"""The security suite drives the same app + FakeSlack rig as tests/slack (the real app over HTTP, signed requests)."""

from tests.slack.conftest import rig  # noqa: F401  (re-exported fixture)
