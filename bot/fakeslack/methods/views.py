"""views.open/push/update/publish: modal stacks per user and Home tabs."""

from __future__ import annotations

from typing import Any

from bot.fakeslack.limits import VIEW_MAX_BYTES, check_view, view_size
from bot.fakeslack.methods.base import Ctx, method
from bot.fakeslack.records import View
from bot.fakeslack.state import Workspace
from bot.fakeslack.wire import SlackError, json_arg, required

MAX_STACK = 3  # root + 2 pushed


def validated_view(ws: Workspace, view: Any, kind: str | None, *, replacing: View | None = None) -> dict[str, Any]:
    """A view JSON that passes size, Block Kit and external_id checks; raises Slack's error otherwise."""
    if not isinstance(view, dict):
        raise SlackError("invalid_arguments", messages=["[ERROR] must be an object [json-pointer:/view]"])
    if view_size(view) > VIEW_MAX_BYTES:
        raise SlackError("view_too_large")
    errors = check_view(view)
    if kind and view.get("type") != kind and not errors:
        errors = [f"[ERROR] must be {kind} [json-pointer:/view/type]"]
    if errors:
        raise SlackError("invalid_arguments", messages=errors)
    external_id = view.get("external_id") or ""
    if external_id and any(v.external_id == external_id and v is not replacing for v in ws.views.values()):
        raise SlackError("duplicate_external_id")
    return {**view, "blocks": ws.with_block_ids(view.get("blocks"))}


def new_view(ws: Workspace, user: str, body: dict[str, Any], *, root: str = "", previous: str | None = None) -> View:
    """Store a view and return it."""
    vid = ws.new_id("V")
    view = View(
        id=vid,
        user=user,
        body=body,
        hash=ws.new_hash(),
        team_id=ws.team_id,
        app_id=ws.app_id,
        bot_id=ws.bot_id,
        root_view_id=root or vid,
        previous_view_id=previous,
        external_id=str(body.get("external_id") or ""),
    )
    ws.views[vid] = view
    ws.record_mentions("home" if view.type == "home" else "view", None, vid, body)
    return view


def replace_view(ws: Workspace, view: View, body: dict[str, Any]) -> None:
    """Swap a view's content in place (same id, new hash, errors cleared)."""
    view.body, view.hash, view.errors = body, ws.new_hash(), {}
    view.external_id = str(body.get("external_id") or view.external_id)
    ws.record_mentions("home" if view.type == "home" else "view", None, view.id, body)


def _view_arg(ctx: Ctx) -> Any:
    required(ctx.args, "view")
    return json_arg(ctx.args, "view", "invalid_arguments")


@method("views.open")
def open_view(ctx: Ctx) -> dict[str, Any]:
    """Open a modal as a new stack for the trigger's user."""
    ws = ctx.ws
    body = validated_view(ws, _view_arg(ctx), "modal")
    trig = ws.take_trigger(ctx.args.get("trigger_id") or ctx.args.get("interactivity_pointer"))
    ws.close_views(trig.user, all_views=True)  # a new root replaces whatever modal the user had open
    view = new_view(ws, trig.user, body)
    ws.stacks[trig.user] = [view.id]
    return {"view": view.to_api()}


@method("views.push")
def push_view(ctx: Ctx) -> dict[str, Any]:
    """Push a modal on top of the user's open stack (at most 3 deep)."""
    ws = ctx.ws
    body = validated_view(ws, _view_arg(ctx), "modal")
    trig = ws.take_trigger(ctx.args.get("trigger_id") or ctx.args.get("interactivity_pointer"))
    stack = ws.stacks.get(trig.user) or []
    if not stack:
        raise SlackError("not_found")
    if len(stack) >= MAX_STACK:
        raise SlackError("push_limit_reached")
    view = new_view(ws, trig.user, body, root=stack[0], previous=stack[-1])
    stack.append(view.id)
    return {"view": view.to_api()}


@method("views.update")
def update_view(ctx: Ctx) -> dict[str, Any]:
    """Replace an open view by view_id or external_id; a stale hash is refused."""
    ws, args = ctx.ws, ctx.args
    if not args.get("view_id") and not args.get("external_id"):
        raise SlackError("invalid_arguments", messages=["[ERROR] missing required field: view_id or external_id"])
    view = ws.find_view(args.get("view_id"), args.get("external_id"))
    if args.get("hash") and args["hash"] != view.hash:
        raise SlackError("hash_conflict")
    body = validated_view(ws, _view_arg(ctx), view.type, replacing=view)
    replace_view(ws, view, body)
    return {"view": view.to_api()}


@method("views.publish")
def publish_view(ctx: Ctx) -> dict[str, Any]:
    """Create or replace a user's Home tab."""
    ws, args = ctx.ws, ctx.args
    required(args, "user_id")
    ws.user(str(args["user_id"]))
    user = str(args["user_id"])
    current = ws.views.get(ws.homes.get(user, ""))
    if args.get("hash") and (current is None or args["hash"] != current.hash):
        raise SlackError("hash_conflict")
    body = validated_view(ws, _view_arg(ctx), "home", replacing=current)
    if current is None:
        current = new_view(ws, user, body)
        ws.homes[user] = current.id
    else:
        replace_view(ws, current, body)
    return {"view": current.to_api()}
