"""auth.test, users.*, usergroups.*, conversations.*: who and where."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.fakeslack.methods.base import Ctx, method
from bot.fakeslack.records import Channel
from bot.fakeslack.wire import SlackError, flag, required

READ_SCOPE = {"channel": "channels:read", "group": "groups:read", "im": "im:read"}
HISTORY_SCOPE = {"channel": "channels:history", "group": "groups:history", "im": "im:history"}


def _kind(ch: Channel) -> str:
    return "im" if ch.is_im else "group" if ch.is_private else "channel"


@method("auth.test")
def auth_test(ctx: Ctx) -> dict[str, Any]:
    """The bot identity Bolt caches (user_id, bot_id) plus the x-oauth-scopes header."""
    ws = ctx.ws
    ctx.headers["x-oauth-scopes"] = ",".join(sorted(ctx.scopes))
    return {
        "url": f"{ctx.base_url}/",
        "team": "Fake Workspace",
        "user": ws.bot_name,
        "team_id": ws.team_id,
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "app_id": ws.app_id,
        "is_enterprise_install": False,
    }


@method("users.info", "users:read")
def users_info(ctx: Ctx) -> dict[str, Any]:
    """A user profile; email only with users:read.email."""
    ws = ctx.ws
    required(ctx.args, "user")
    uid = str(ctx.args["user"])
    seed = ws.user(uid)
    name = seed.get("name", uid.lower())
    real_name = seed.get("real_name", name)
    tz = seed.get("tz", "UTC")
    profile = {
        "display_name": seed.get("display_name", name),
        "real_name": real_name,
        "image_72": f"{ctx.base_url}/avatars/{uid}.png",
    }
    if seed.get("email") and "users:read.email" in ctx.scopes:
        profile["email"] = seed["email"]
    user = {
        "id": uid,
        "team_id": ws.team_id,
        "name": name,
        "deleted": bool(seed.get("deleted", False)),
        "real_name": real_name,
        "tz": tz,
        "tz_label": tz,
        "tz_offset": _tz_offset(tz, ws.now()),
        "is_admin": bool(seed.get("is_admin", False)),
        "is_owner": bool(seed.get("is_owner", False)),
        "is_bot": bool(seed.get("is_bot", False)),
        "is_restricted": bool(seed.get("is_restricted", False)),
        "is_app_user": False,
        "updated": int(ws.now()),
        "profile": profile,
    }
    if flag(ctx.args, "include_locale"):
        user["locale"] = seed.get("locale", "en-US")
    return {"user": user}


def _tz_offset(tz: str, now: float) -> int:
    """Seconds east of UTC for the user's zone at `now` (0 for unknown zones)."""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return 0
    offset = datetime.fromtimestamp(now, UTC).astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset else 0


@method("usergroups.users.list", "usergroups:read")
def usergroup_users(ctx: Ctx) -> dict[str, Any]:
    """Members of a user group."""
    required(ctx.args, "usergroup")
    group = ctx.ws.usergroups.get(str(ctx.args["usergroup"]))
    if group is None:
        raise SlackError("no_such_subteam")
    return {"users": list(group["users"])}


@method("usergroups.list", "usergroups:read")
def usergroups_list(ctx: Ctx) -> dict[str, Any]:
    """All user groups (with members when include_users)."""
    ws = ctx.ws
    out = []
    for g in ws.usergroups.values():
        item = {
            "id": g["id"],
            "team_id": ws.team_id,
            "is_usergroup": True,
            "name": g["name"],
            "handle": g["handle"],
            "user_count": len(g["users"]),
        }
        if flag(ctx.args, "include_users"):
            item["users"] = list(g["users"])
        out.append(item)
    return {"usergroups": out}


@method("conversations.info")
def conversations_info(ctx: Ctx) -> dict[str, Any]:
    """A conversation; the scope needed depends on its type."""
    required(ctx.args, "channel")
    ch = ctx.ws.visible_channel(ctx.args["channel"])
    ctx.require_scope(READ_SCOPE[_kind(ch)])
    return {"channel": ch.to_api(ctx.ws.bot_user_id, num_members=flag(ctx.args, "include_num_members"))}


@method("conversations.join", "channels:join")
def conversations_join(ctx: Ctx) -> dict[str, Any]:
    """The bot joins a public channel."""
    ws = ctx.ws
    required(ctx.args, "channel")
    ch = ws.visible_channel(ctx.args["channel"])
    if ch.is_private or ch.is_im:
        raise SlackError("method_not_supported_for_channel_type")
    if ch.is_archived:
        raise SlackError("is_archived")
    out: dict[str, Any] = {}
    if ws.bot_user_id in ch.members:
        out = {"warning": "already_in_channel", "response_metadata": {"warnings": ["already_in_channel"]}}
    ch.members.add(ws.bot_user_id)
    return {"channel": ch.to_api(ws.bot_user_id), **out}


@method("conversations.open", "im:write")
def conversations_open(ctx: Ctx) -> dict[str, Any]:
    """Open (or find) the app's DM with one user."""
    required(ctx.args, "users")
    uid = str(ctx.args["users"]).split(",")[0]
    ctx.ws.user(uid)
    return {"channel": {"id": ctx.ws.dm(uid).id}}


@method("conversations.replies")
def conversations_replies(ctx: Ctx) -> dict[str, Any]:
    """A thread: parent first, then replies in order."""
    ws = ctx.ws
    required(ctx.args, "channel", "ts")
    ch = ws.visible_channel(ctx.args["channel"])
    if not ch.is_im and ws.bot_user_id not in ch.members:
        raise SlackError("not_in_channel")
    ctx.require_scope(HISTORY_SCOPE[_kind(ch)])
    parent = ws.thread_parent(ch, ctx.args["ts"])
    msgs = [m for m in ch.messages.values() if not m.deleted and (m.ts == parent or m.thread_ts == parent)]
    return {"messages": [m.to_api(ws.team_id) for m in msgs], "has_more": False}
