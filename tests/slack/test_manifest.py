"""manifest.yml: pasteable, and its bot scopes are exactly the ones the app uses against the fake."""

from __future__ import annotations

import yaml

from bot.digest.period import Period
from bot.fakeslack.methods import METHODS
from bot.flow import digest
from tests.slack.rig import Rig
from tests.workspace import ROOT, manifest_scopes

FEATURE_SCOPES = {"commands": "slash command /approvals", "app_mentions:read": "app_mention event"}


def test_manifest_is_complete_and_points_at_slack_events() -> None:
    m = yaml.safe_load((ROOT / "manifest.yml").read_text())
    assert len(m["display_information"]["name"]) <= 35
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    assert [c["command"] for c in m["features"]["slash_commands"]] == ["/approvals"]
    settings = m["settings"]
    assert settings["event_subscriptions"]["bot_events"] == ["app_mention", "app_home_opened"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is False
    urls = [
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
        m["features"]["slash_commands"][0]["url"],
    ]
    assert all(u.endswith("/slack/events") for u in urls)


def test_scopes_cover_every_call_and_none_is_unused(rig: Rig) -> None:
    p = rig.propose()
    rig.click(p["id"], "cs_approve", "U0DAVE")  # usergroups.users.list, chat.postEphemeral via response_url
    q = rig.propose(payload={"to": "x@example.com", "amount": 30})
    rig.click(q["id"], "cs_reject", "U0ALICE")
    rig.driver.submit_view("U0ALICE", values={"cs_reason_input": "no"})  # chat.postEphemeral
    rig.driver.mention("C0PAYOUTS", "U0BOB", "escalate", thread_ts=q["slack"]["ts"])
    rig.driver.command("/approvals", "U0BOB", "C0PAYOUTS")
    rig.driver.home_opened("U0BOB")
    rig.settle()
    digest.run(rig.svc, period=Period.containing(rig.clock.now(), rig.svc.settings.zone), workflow="payouts")
    calls = rig.slack.calls()
    assert not [c for c in calls if c.error == "missing_scope"]
    used = {scope for c in calls if c.method in METHODS for scope in METHODS[c.method].scopes}
    assert set(manifest_scopes()) == used | set(FEATURE_SCOPES)
    assert {c.method for c in calls} >= {
        "chat.postMessage",
        "chat.update",
        "chat.postEphemeral",
        "chat.getPermalink",
        "views.open",
        "views.publish",
        "usergroups.users.list",
        "auth.test",
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    }
