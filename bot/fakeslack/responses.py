"""Messages that reach Slack outside the Web API: response_url posts and slash-command ack bodies."""

from __future__ import annotations

from typing import Any

from bot.fakeslack.limits import check_message_blocks
from bot.fakeslack.records import Ephemeral, Message
from bot.fakeslack.state import RESPONSE_URL_TTL, RESPONSE_URL_USES, ResponseUrl, Workspace
from bot.fakeslack.wire import SlackError, flag


def apply_response_url(ws: Workspace, rec: ResponseUrl, body: Any) -> tuple[int, str]:
    """Apply a respond() body; 5 uses within 30 minutes, then 404 like an unknown URL."""
    if rec.uses >= RESPONSE_URL_USES:
        return 404, "used_url"
    if ws.now() - rec.created > RESPONSE_URL_TTL:
        return 404, "expired_url"
    status, text = apply_reply(
        ws,
        user=rec.user,
        channel=rec.channel,
        message_ts=rec.message_ts,
        is_ephemeral=rec.is_ephemeral,
        body=body,
        surface="response_url",
    )
    if status == 200:
        rec.uses += 1
    return status, text


def apply_reply(
    ws: Workspace,
    *,
    user: str,
    channel: str | None,
    message_ts: str | None,
    is_ephemeral: bool,
    body: Any,
    surface: str,
) -> tuple[int, str]:
    """Delete/replace the original or post in_channel/ephemeral; (status, plain-text body) as Slack answers."""
    if not isinstance(body, dict):
        return 400, "invalid_payload"
    original = _original(ws, user, channel, message_ts, is_ephemeral)
    if flag(body, "delete_original"):
        if original is None:
            return 404, "message_not_found"
        original.deleted = True
        return 200, "ok"
    text, blocks = str(body.get("text") or ""), body.get("blocks")
    if blocks is not None and (not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks)):
        return 400, "invalid_blocks_format"
    if blocks and check_message_blocks(blocks):
        ws.problems.append(f"{surface}: invalid_blocks {check_message_blocks(blocks)}")
        return 400, "invalid_blocks"
    if not text and not blocks:
        return 400, "no_text"
    if flag(body, "replace_original") and original is not None:
        ws.edit(original, text=text, blocks=list(blocks or []))  # replace_original swaps the whole message
        ws.record_mentions(surface, original.channel, original.ts, {"text": text, "blocks": blocks or []})
        return 200, "ok"
    try:
        return _post(ws, user, channel, body, text, list(blocks or []), surface)
    except SlackError as exc:
        return 404 if exc.error == "channel_not_found" else 400, exc.error


def _post(
    ws: Workspace,
    user: str,
    channel: str | None,
    body: dict[str, Any],
    text: str,
    blocks: list[dict[str, Any]],
    surface: str,
) -> tuple[int, str]:
    """A new in_channel message from the bot, or an ephemeral one for the user (the default)."""
    ch = ws.channel(channel) if channel else ws.dm(user)
    if ch.is_archived:
        raise SlackError("is_archived")
    parent = ws.thread_parent(ch, body.get("thread_ts"))
    if body.get("response_type") == "in_channel":
        msg = ws.add_message(ch, text=text, user=ws.bot_user_id, bot_id=ws.bot_id, blocks=blocks, thread_ts=parent)
        ws.record_mentions(surface, ch.id, msg.ts, {"text": text, "blocks": blocks})
    else:
        eph = Ephemeral(ch.id, user, ws.new_ts(), text, ws.with_block_ids(blocks), parent)
        ws.ephemerals.append(eph)
        ws.record_mentions(surface, ch.id, eph.ts, {"text": text, "blocks": blocks})
    return 200, "ok"


def _original(
    ws: Workspace, user: str, channel: str | None, ts: str | None, is_ephemeral: bool
) -> Message | Ephemeral | None:
    """The message the interaction came from, if it still exists."""
    if not channel or not ts:
        return None
    if is_ephemeral:
        found = [e for e in ws.ephemerals if e.channel == channel and e.ts == ts and e.user == user]
        return found[0] if found and not found[0].deleted else None
    ch = ws.channels.get(channel)
    msg = ch.messages.get(ts) if ch else None
    return msg if msg is not None and not msg.deleted else None
