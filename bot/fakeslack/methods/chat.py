"""chat.* and reactions.add: posting, updating and decorating messages."""

from __future__ import annotations

from typing import Any

from bot.fakeslack.limits import MESSAGE_TEXT_MAX
from bot.fakeslack.methods.base import Ctx, blocks_arg, content_args, method
from bot.fakeslack.records import Ephemeral
from bot.fakeslack.wire import SlackError, flag, json_arg, required, text_arg


@method("chat.postMessage", "chat:write")
def post_message(ctx: Ctx) -> dict[str, Any]:
    """Post as the bot; user ids post into the app's DM; long text is truncated, not refused."""
    ws, args = ctx.ws, ctx.args
    required(args, "channel")
    ch = ws.postable(args["channel"], ctx.scopes)
    text, blocks = content_args(args)
    parent = ws.thread_parent(ch, args.get("thread_ts"))
    metadata = _metadata(args)
    original_length = len(text)
    if original_length > MESSAGE_TEXT_MAX:
        text = text[:MESSAGE_TEXT_MAX]
    msg = ws.add_message(
        ch,
        text=text,
        user=ws.bot_user_id,
        bot_id=ws.bot_id,
        blocks=blocks,
        thread_ts=parent,
        metadata=metadata,
        reply_broadcast=bool(parent) and flag(args, "reply_broadcast"),
        truncated_from=original_length if original_length > MESSAGE_TEXT_MAX else None,
    )
    ws.record_mentions("message", ch.id, msg.ts, {"text": text, "blocks": blocks or []})
    return {"channel": ch.id, "ts": msg.ts, "message": msg.to_api(ws.team_id)}


@method("chat.update", "chat:write")
def update(ctx: Ctx) -> dict[str, Any]:
    """Edit one of the app's own messages; omitted blocks are kept, as on Slack."""
    ws, args = ctx.ws, ctx.args
    required(args, "channel", "ts")
    ch = ws.visible_channel(args["channel"])
    msg = ws.message(ch, args["ts"])
    if msg.bot_id != ws.bot_id:
        raise SlackError("cant_update_message")
    blocks = blocks_arg(args)
    text = args.get("text")
    if text is None and blocks is None:
        raise SlackError("no_text")
    if text is not None and len(str(text)) > MESSAGE_TEXT_MAX:
        raise SlackError("msg_too_long")
    ws.edit(msg, text=None if text is None else str(text), blocks=blocks)
    if args.get("metadata") is not None:
        msg.metadata = _metadata(args)
    ws.record_mentions("message", ch.id, msg.ts, {"text": msg.text, "blocks": msg.blocks})
    return {"channel": ch.id, "ts": msg.ts, "text": msg.text, "message": msg.to_api(ws.team_id)}


@method("chat.postEphemeral", "chat:write")
def post_ephemeral(ctx: Ctx) -> dict[str, Any]:
    """Show a message to one channel member only."""
    ws, args = ctx.ws, ctx.args
    required(args, "channel", "user")
    ch = ws.postable(args["channel"], ctx.scopes)
    user = str(args["user"])
    if user not in ch.members and not ch.is_im:
        raise SlackError("user_not_in_channel")
    text, blocks = content_args(args)
    if len(text) > MESSAGE_TEXT_MAX:
        raise SlackError("msg_too_long")
    parent = ws.thread_parent(ch, args.get("thread_ts"))
    eph = Ephemeral(ch.id, user, ws.new_ts(), text, ws.with_block_ids(blocks), parent)
    ws.ephemerals.append(eph)
    ws.record_mentions("ephemeral", ch.id, eph.ts, {"text": text, "blocks": blocks or []})
    return {"message_ts": eph.ts}


@method("chat.getPermalink")
def get_permalink(ctx: Ctx) -> dict[str, Any]:
    """A link to a message on the fake; replies carry ?thread_ts=."""
    ws, args = ctx.ws, ctx.args
    required(args, "channel", "message_ts")
    ch = ws.visible_channel(args["channel"])
    msg = ws.message(ch, args["message_ts"])
    link = f"{ctx.base_url}/archives/{ch.id}/p{msg.ts.replace('.', '')}"
    if msg.thread_ts:
        link += f"?thread_ts={msg.thread_ts}&cid={ch.id}"
    return {"channel": ch.id, "permalink": link}


@method("reactions.add", "reactions:write")
def add_reaction(ctx: Ctx) -> dict[str, Any]:
    """Add the bot's emoji reaction to a message."""
    ws, args = ctx.ws, ctx.args
    if not args.get("timestamp"):
        raise SlackError("no_item_specified")
    required(args, "channel", "name")
    name = text_arg(args, "name")
    if ":" in name or not name.strip() or " " in name:
        raise SlackError("invalid_name")
    ch = ws.visible_channel(args["channel"])
    if ch.is_archived:
        raise SlackError("is_archived")
    msg = ws.message(ch, args["timestamp"])
    users = msg.reactions.setdefault(name, [])
    if ws.bot_user_id in users:
        raise SlackError("already_reacted")
    users.append(ws.bot_user_id)
    return {}


def _metadata(args: dict[str, Any]) -> dict[str, Any] | None:
    """Message metadata must be {event_type: str, event_payload: object}."""
    meta = json_arg(args, "metadata", "invalid_metadata_format")
    if meta is None:
        return None
    if not (
        isinstance(meta, dict)
        and isinstance(meta.get("event_type"), str)
        and isinstance(meta.get("event_payload"), dict)
    ):
        raise SlackError("invalid_metadata_format")
    return meta
