"""Outer shapes of what Slack sends: interaction payload headers, slash-command fields, event envelopes."""

from __future__ import annotations

import itertools
import secrets
import uuid
from typing import TYPE_CHECKING, Any

from bot.fakeslack.payloads import DriverError

if TYPE_CHECKING:
    from bot.fakeslack.server import FakeSlack

_event_ids = itertools.count(1)


def user_object(slack: FakeSlack, user: str) -> dict[str, Any]:
    """`{"id","username","name","team_id"}` of a seeded user."""
    seed = slack.ws.users.get(user)
    if seed is None:
        raise DriverError(f"unknown user {user}; seed it in FakeSlack(users=...)")
    name = seed.get("name", user.lower())
    return {"id": user, "username": name, "name": name, "team_id": slack.ws.team_id}


def interaction_base(slack: FakeSlack, kind: str, user: str) -> dict[str, Any]:
    """Fields every interactivity payload carries."""
    ws = slack.ws
    return {
        "type": kind,
        "user": user_object(slack, user),
        "api_app_id": ws.app_id,
        "token": slack.verification_token,
        "team": {"id": ws.team_id, "domain": ws.team_domain},
        "enterprise": None,
        "is_enterprise_install": False,
    }


def command_fields(slack: FakeSlack, command: str, user: str, channel: str, text: str) -> dict[str, str]:
    """Flat form fields of a slash command (with a response_url and trigger_id of its own)."""
    if not command.startswith("/"):
        raise DriverError(f"slash commands start with '/': {command!r}")
    ws = slack.ws
    ch = ws.channel(channel)
    return {
        "token": slack.verification_token,
        "team_id": ws.team_id,
        "team_domain": ws.team_domain,
        "channel_id": ch.id,
        "channel_name": "directmessage" if ch.is_im else ch.name,
        "user_id": user,
        "user_name": user_object(slack, user)["name"],
        "command": command,
        "text": text,
        "api_app_id": ws.app_id,
        "is_enterprise_install": "false",
        "response_url": slack.response_url(user, ch.id),
        "trigger_id": ws.issue_trigger(user),
    }


def event_callback(slack: FakeSlack, event: dict[str, Any]) -> dict[str, Any]:
    """The Events API envelope around one event, with a unique event_id."""
    ws = slack.ws
    return {
        "token": slack.verification_token,
        "team_id": ws.team_id,
        "api_app_id": ws.app_id,
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{next(_event_ids):06d}{secrets.token_hex(3).upper()}",
        "event_time": int(ws.now()),
        "event_context": f"4-{secrets.token_urlsafe(12)}",
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": ws.team_id,
                "user_id": ws.bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "context_team_id": ws.team_id,
        "context_enterprise_id": None,
    }


def mention_event(slack: FakeSlack, channel: str, user: str, text: str, thread_ts: str | None) -> dict[str, Any]:
    """Store the user's message and describe it as app_mention (the bot mention is added when missing)."""
    ws = slack.ws
    mention = f"<@{ws.bot_user_id}>"
    text = text if mention in text else f"{mention} {text}"
    user_object(slack, user)
    msg = slack.post_as_user(channel, user, text, thread_ts)
    event = {
        "type": "app_mention",
        "user": user,
        "text": text,
        "ts": msg.ts,
        "channel": msg.channel,
        "event_ts": msg.ts,
        "team": ws.team_id,
        "client_msg_id": str(uuid.uuid4()),
        "blocks": [
            {
                "type": "rich_text",
                "block_id": secrets.token_urlsafe(3),
                "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
            }
        ],
    }
    if msg.thread_ts:
        event["thread_ts"] = msg.thread_ts
    return event


def home_opened_event(slack: FakeSlack, user: str) -> dict[str, Any]:
    """app_home_opened for the Home tab."""
    ws = slack.ws
    user_object(slack, user)
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user,
        "channel": ws.dm(user).id,
        "tab": "home",
        "event_ts": ws.new_ts(),
    }
    home = slack.home(user)
    if home is not None:
        event["view"] = home.to_api()
    return event
