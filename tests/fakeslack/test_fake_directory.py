"""Transport, auth and scopes, and the directory methods (auth, users, usergroups, conversations)."""

from __future__ import annotations

import json
import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.fakeslack import FakeSlack


def error_of(call) -> dict:
    with pytest.raises(SlackApiError) as info:
        call()
    return info.value.response.data


def raw(slack: FakeSlack, path: str, body: bytes | None = None, headers: dict | None = None) -> dict:
    req = urllib.request.Request(slack.base_url + path, data=body, headers=headers or {})
    with urllib.request.urlopen(req) as resp:
        return json.loads(resp.read())


def test_auth_test_identity_and_scopes_header(client: WebClient) -> None:
    resp = client.auth_test()
    assert (resp["user_id"], resp["bot_id"], resp["team_id"]) == ("UBOT", "BBOT", "T0FAKE")
    assert "chat:write" in resp.headers["x-oauth-scopes"].split(",")


def test_bad_or_missing_token(slack: FakeSlack) -> None:
    assert error_of(WebClient(token="xoxb-wrong", base_url=slack.api_url).auth_test)["error"] == "invalid_auth"
    assert error_of(WebClient(base_url=slack.api_url).auth_test)["error"] == "not_authed"


def test_token_form_field_get_query_and_form_bodies(slack: FakeSlack) -> None:
    assert raw(slack, "/api/auth.test?token=xoxb-fake")["ok"] is True
    form = b"token=xoxb-fake&channel=C0SUPPORT&text=hi&blocks=%5B%7B%22type%22%3A%22divider%22%7D%5D"
    posted = raw(slack, "/api/chat.postMessage", form, {"Content-Type": "application/x-www-form-urlencoded"})
    assert posted["ok"]
    assert posted["message"]["blocks"][0]["type"] == "divider"
    assert raw(slack, "/api/auth.test", b"{", {"Content-Type": "application/json"})["error"] == "invalid_json"


def test_missing_scope_reports_needed_and_provided(clock) -> None:
    with FakeSlack("s", users={"U1": {"name": "a"}}, scopes=["chat:write"], clock=clock) as slack:
        data = error_of(lambda: WebClient(token="xoxb-fake", base_url=slack.api_url).users_info(user="U1"))
    assert data == {"ok": False, "error": "missing_scope", "needed": "users:read", "provided": "chat:write"}


def test_unknown_method(client: WebClient) -> None:
    assert error_of(lambda: client.api_call("chat.teleport"))["error"] == "unknown_method"


def test_users_info(client: WebClient) -> None:
    user = client.users_info(user="U1")["user"]
    assert (user["name"], user["real_name"], user["tz"]) == ("alice", "Alice", "Europe/Paris")
    assert user["tz_offset"] in (3600, 7200)
    assert "email" not in user["profile"]
    assert error_of(lambda: client.users_info(user="U404"))["error"] == "user_not_found"


def test_usergroups(client: WebClient) -> None:
    assert client.usergroups_users_list(usergroup="S0LEADS")["users"] == ["U1", "U2"]
    assert error_of(lambda: client.usergroups_users_list(usergroup="S0NOPE"))["error"] == "no_such_subteam"
    groups = client.usergroups_list(include_users=True)["usergroups"]
    assert [(g["id"], g["handle"], g["users"]) for g in groups] == [("S0LEADS", "s0leads", ["U1", "U2"])]


def test_conversations_info(client: WebClient, slack: FakeSlack) -> None:
    info = client.conversations_info(channel="C0SUPPORT", include_num_members=True)["channel"]
    assert (info["name"], info["is_member"], info["is_private"], info["num_members"]) == ("support", True, False, 3)
    assert client.conversations_info(channel="G0OPS")["channel"]["is_private"] is True
    assert error_of(lambda: client.conversations_info(channel="G0SECRET"))["error"] == "channel_not_found"
    slack.archive("C0SUPPORT")
    assert client.conversations_info(channel="C0SUPPORT")["channel"]["is_archived"] is True


def test_conversations_join_replies_open(clock) -> None:
    scopes = ["chat:write", "channels:join", "channels:history", "im:write"]
    channels = {"C1": {"name": "c", "members": []}, "G1": {"name": "g", "is_private": True, "members": ["UBOT"]}}
    with FakeSlack("s", users={"U1": {"name": "a"}}, channels=channels, scopes=scopes, clock=clock) as slack:
        client = WebClient(token="xoxb-fake", base_url=slack.api_url)
        assert client.conversations_join(channel="C1")["channel"]["is_member"] is True
        assert client.conversations_join(channel="C1")["warning"] == "already_in_channel"
        assert error_of(lambda: client.conversations_join(channel="G1"))["error"] == (
            "method_not_supported_for_channel_type"
        )
        parent = client.chat_postMessage(channel="C1", text="p")["ts"]
        client.chat_postMessage(channel="C1", text="r", thread_ts=parent)
        assert [m["text"] for m in client.conversations_replies(channel="C1", ts=parent)["messages"]] == ["p", "r"]
        assert error_of(lambda: client.conversations_replies(channel="G1", ts=parent))["error"] == "missing_scope"
        assert client.conversations_open(users="U1")["channel"]["id"] == "D1"


def test_state_endpoint_serves_snapshot(client: WebClient, slack: FakeSlack) -> None:
    client.chat_postMessage(channel="C0SUPPORT", text="visible in sandbox")
    state = raw(slack, "/_fake/state")
    support = next(c for c in state["channels"] if c["id"] == "C0SUPPORT")
    assert [m["text"] for m in support["messages"]] == ["visible in sandbox"]
    assert state["bot"] == {"user_id": "UBOT", "bot_id": "BBOT", "name": "countersign"}


def test_request_log(client: WebClient, slack: FakeSlack) -> None:
    client.chat_postMessage(channel="C0SUPPORT", text="one")
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C0NOPE", text="two")
    calls = slack.wait_for("chat.postMessage", 2)
    assert [(c.ok, c.error, c.args["text"]) for c in calls] == [
        (True, None, "one"),
        (False, "channel_not_found", "two"),
    ]
    assert [c.method for c in slack.calls()] == ["chat.postMessage", "chat.postMessage"]
    with pytest.raises(AssertionError, match=r"waited 0\.05s for 3x chat\.postMessage"):
        slack.wait_for("chat.postMessage", 3, timeout=0.05)


def test_plain_callable_clock_drives_ts_and_time() -> None:
    with FakeSlack("s", channels={"C1": {"name": "c", "members": ["UBOT"]}}, clock=lambda: 1_700_000_000.25) as slack:
        client = WebClient(token="xoxb-fake", base_url=slack.api_url)
        assert client.chat_postMessage(channel="C1", text="x")["ts"] == "1700000000.250000"
        assert slack.calls("chat.postMessage")[0].time == 1_700_000_000.25
