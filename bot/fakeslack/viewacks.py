"""What Slack does with the app's answer to a view_submission (close, errors, update, push, clear)."""

from __future__ import annotations

import json
from typing import Any

from bot.fakeslack.methods.views import MAX_STACK, new_view, replace_view, validated_view
from bot.fakeslack.records import View
from bot.fakeslack.state import Workspace
from bot.fakeslack.wire import SlackError


def apply_submission_ack(ws: Workspace, view: View, status: int, body: str) -> dict[str, Any] | None:
    """Apply the ack to the user's stack; returns the parsed ack; anything Slack would refuse goes to problems."""
    if status != 200:
        ws.problems.append(f"view_submission {view.callback_id}: app answered HTTP {status}; modal shows an error")
        return None
    if not body.strip():
        _close(ws, view)
        return None
    try:
        ack = json.loads(body)
    except ValueError:
        ws.problems.append(f"view_submission {view.callback_id}: ack body is not JSON: {body[:200]!r}")
        return None
    if not isinstance(ack, dict):
        ws.problems.append(f"view_submission {view.callback_id}: ack body is not an object")
        return None
    try:
        _apply(ws, view, ack)
    except SlackError as exc:
        ws.problems.append(f"view_submission {view.callback_id}: response_action refused: {exc.error} {exc.messages}")
    return ack


def _apply(ws: Workspace, view: View, ack: dict[str, Any]) -> None:
    action = ack.get("response_action")
    if action is None:
        _close(ws, view)
    elif action == "errors":
        _show_errors(ws, view, ack.get("errors"))
    elif action == "update":
        replace_view(ws, view, validated_view(ws, ack.get("view"), "modal", replacing=view))
    elif action == "push":
        stack = ws.stacks.get(view.user, [])
        if len(stack) >= MAX_STACK:
            raise SlackError("push_limit_reached")
        pushed = new_view(
            ws, view.user, validated_view(ws, ack.get("view"), "modal"), root=stack[0], previous=stack[-1]
        )
        stack.append(pushed.id)
    elif action == "clear":
        ws.close_views(view.user, all_views=True)
    else:
        raise SlackError("invalid_arguments", messages=[f"unknown response_action {action!r}"])


def _show_errors(ws: Workspace, view: View, errors: Any) -> None:
    """Keep the modal open with inline errors; keys must name input blocks or Slack shows a generic failure."""
    if not isinstance(errors, dict) or not errors:
        raise SlackError("invalid_arguments", messages=["errors must be a non-empty object"])
    inputs = {b.get("block_id") for b in view.blocks if b.get("type") == "input"}
    unknown = sorted(k for k in errors if k not in inputs)
    if unknown:
        raise SlackError("invalid_arguments", messages=[f"errors name no input block: {unknown}"])
    view.errors = {str(k): str(v) for k, v in errors.items()}


def _close(ws: Workspace, view: View) -> None:
    """An empty ack closes the submitted view (the one under it, if pushed, shows again)."""
    stack = ws.stacks.get(view.user, [])
    if view.id in stack:
        for closed in stack[stack.index(view.id) :]:
            ws.views.pop(closed, None)
        del stack[stack.index(view.id) :]
