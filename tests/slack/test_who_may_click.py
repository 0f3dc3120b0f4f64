"""Who may click: only this installation's requests, and user groups Slack cannot refresh fail closed."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_sdk import WebClient

from bot.fakeslack import FakeSlack
from bot.slack.directory import GroupUnavailable, SlackDirectory
from tests.slack.rig import Rig


def _resend_as(rig: Rig, sent: dict[str, Any], user: str, **changes: Any) -> Any:
    payload = json.loads(json.dumps(sent))
    payload["user"]["id"] = user
    payload.update(changes)
    return rig.driver.send_raw(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")


@pytest.mark.parametrize(
    "changes",
    [
        {"team": {"id": "T0OTHER", "domain": "other"}},
        {"api_app_id": "A0OTHER"},
        {"enterprise": {"id": "E0OTHER", "name": "Other"}, "is_enterprise_install": False},
    ],
    ids=["team", "app", "enterprise"],
)
def test_a_click_from_another_installation_is_refused(rig: Rig, changes: dict[str, Any]) -> None:
    p = rig.propose()
    refused = rig.click(p["id"], "cs_approve", "U0MALLORY")  # a genuine payload, from someone who may not approve
    resp = _resend_as(rig, refused.payload, "U0ALICE", **changes)
    rig.settle()
    assert (resp.status, resp.text) == (403, "This request is not for this Countersign installation.")
    assert rig.get(p["id"])["status"] == "pending"
    same = _resend_as(rig, refused.payload, "U0ALICE")  # the same click from this installation decides
    rig.settle()
    assert same.status == 200
    assert rig.get(p["id"])["status"] == "approved"


def test_a_group_slack_cannot_refresh_is_used_for_at_most_max_stale(slack: FakeSlack) -> None:
    now = [0.0]
    directory = SlackDirectory(
        WebClient(token="xoxb-fake", base_url=slack.api_url), ttl=300, max_stale=3600, clock=lambda: now[0]
    )
    assert "U0DAVE" in directory.members("S0LEADS")
    slack.fail_next("usergroups.users.list", error="internal_error", count=100)
    now[0] = 3000.0  # past the TTL, within max_stale: the last known list
    assert "U0DAVE" in directory.members("S0LEADS")
    now[0] = 3601.0
    with pytest.raises(GroupUnavailable, match="for over 60 minutes, so decisions through that group are refused"):
        directory.members("S0LEADS")
    never = SlackDirectory(WebClient(token="xoxb-fake", base_url=slack.api_url), clock=lambda: now[0])
    with pytest.raises(GroupUnavailable, match="members of user group S0ONCALL, so decisions"):
        never.members("S0ONCALL")
