"""Where and how to answer the person behind a Slack request: response_url first, else an ephemeral message."""

from __future__ import annotations

import json
from typing import Any
from urllib.error import URLError

import structlog
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.slack.client import SlackFailure, slack_call

log = structlog.get_logger(__name__)


def user_of(body: dict[str, Any]) -> str:
    """The Slack user who clicked, submitted, typed the command or mentioned the app."""
    if isinstance(body.get("user"), dict):
        return str(body["user"].get("id") or "")
    return str(body.get("user_id") or (body.get("event") or {}).get("user") or "")


def place_of(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """(channel, thread_ts) near which the person acted, if any."""
    if body.get("type") == "view_submission":
        try:
            meta = json.loads(body.get("view", {}).get("private_metadata") or "{}")
        except ValueError:
            return None, None
        return meta.get("c"), meta.get("t")
    if "event" in body:
        event = body["event"]
        return event.get("channel"), event.get("thread_ts") or event.get("ts")
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = container.get("channel_id") or body.get("channel_id") or (body.get("channel") or {}).get("id")
    return channel, message.get("thread_ts")


def ephemeral(client: WebClient, body: dict[str, Any], text: str, blocks: list[Any] | None = None) -> None:
    """Show `text` only to the person who acted; failures are logged, never raised (they already lost the answer)."""
    url = body.get("response_url")
    if url:
        try:
            resp = WebhookClient(url).send(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)
        except (URLError, OSError) as exc:  # fall back to chat.postEphemeral below
            log.warning("response_url unreachable", error=f"{type(exc).__name__}: {exc}")
        else:
            if resp.status_code == 200:  # WebhookClient does not raise on errors: check the status
                return
            log.warning("response_url refused the reply", status=resp.status_code, body=resp.body)
    channel, thread_ts = place_of(body)
    if not channel:
        log.warning("no place to show a reply", kind=body.get("type"), user=user_of(body), text=text[:200])
        return
    try:
        with slack_call():
            client.chat_postEphemeral(
                channel=channel, user=user_of(body), text=text, blocks=blocks, thread_ts=thread_ts
            )
    except SlackFailure as exc:
        log.warning("could not show an ephemeral reply", channel=channel, user=user_of(body), error=exc.code)


def in_thread(client: WebClient, channel: str, thread_ts: str, text: str) -> None:
    """A visible reply in a thread (answers to @-mentions)."""
    with slack_call():
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=text)
