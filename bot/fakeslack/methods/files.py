"""files.getUploadURLExternal / completeUploadExternal (the upload itself is a route on the server)."""

from __future__ import annotations

from typing import Any

from bot.fakeslack.methods.base import Ctx, blocks_arg, method
from bot.fakeslack.records import FileRecord
from bot.fakeslack.wire import SlackError, json_arg, required, text_arg


@method("files.getUploadURLExternal", "files:write")
def get_upload_url(ctx: Ctx) -> dict[str, Any]:
    """Reserve a file id and hand out an upload_url on the fake itself."""
    args = ctx.args
    required(args, "filename", "length")
    try:
        length = int(args["length"])
    except (TypeError, ValueError):
        raise SlackError("invalid_arguments", messages=["[ERROR] length must be an integer"]) from None
    alt_txt = args.get("alt_txt")
    if alt_txt is not None and len(str(alt_txt)) > 1000:
        raise SlackError("alt_txt_too_large")
    rec = FileRecord(id=ctx.ws.new_id("F"), filename=str(args["filename"]), length=length, alt_txt=alt_txt)
    ctx.ws.files[rec.id] = rec
    return {"upload_url": f"{ctx.base_url}/_upload/{rec.id}", "file_id": rec.id}


@method("files.completeUploadExternal", "files:write")
def complete_upload(ctx: Ctx) -> dict[str, Any]:
    """Finish uploads; with a channel, share them there in one message (initial_comment as its text)."""
    ws, args = ctx.ws, ctx.args
    required(args, "files")
    items = json_arg(args, "files", "invalid_arguments")
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) and i.get("id") for i in items):
        raise SlackError("invalid_arguments", messages=["[ERROR] files must be a non-empty array of {id, title}"])
    records = []
    for item in items:
        rec = ws.files.get(str(item["id"]))
        if rec is None or rec.content is None or rec.completed:
            raise SlackError("file_not_found")
        records.append((rec, str(item.get("title") or rec.filename)))
    targets = [c for c in str(args.get("channels") or "").split(",") if c]
    if args.get("channel_id"):
        targets.insert(0, str(args["channel_id"]))
    channels = [_shareable(ctx, cid) for cid in targets]
    parents = [ws.thread_parent(ch, args.get("thread_ts")) for ch in channels]  # validate before any change
    blocks = blocks_arg(args)
    comment = text_arg(args, "initial_comment")
    for rec, title in records:
        rec.title, rec.completed = title, True
        rec.channels = [ch.id for ch in channels]
        rec.initial_comment = comment or None
    for ch, parent in zip(channels, parents, strict=False):
        msg = ws.add_message(
            ch,
            text=comment,
            user=ws.bot_user_id,
            bot_id=ws.bot_id,
            blocks=blocks,
            thread_ts=parent,
            files=[r.to_api(ctx.base_url) for r, _ in records],
        )
        for rec, _ in records:
            rec.thread_ts = parent
        ws.record_mentions("file_comment", ch.id, msg.ts, {"text": comment, "blocks": blocks or []})
    return {"files": [r.to_api(ctx.base_url) for r, _ in records]}


def _shareable(ctx: Ctx, cid: str) -> Any:
    """A channel the bot can share files into; unlike chat:write.public, files need membership."""
    ch = ctx.ws.visible_channel(cid)
    if ch.is_archived:
        raise SlackError("is_archived")
    if not ch.is_im and ctx.ws.bot_user_id not in ch.members:
        raise SlackError("not_in_channel")
    return ch
