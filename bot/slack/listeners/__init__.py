"""Listener registration, one module per Slack surface; each exposes register(app, svc)."""

from __future__ import annotations

import re
from typing import Any

import structlog
from slack_bolt import App

from bot.errors import CountersignError
from bot.flow import lookup, notify
from bot.flow.context import Services
from bot.slack.errors import ack_only, guarded
from bot.slack.ids import parse_button_value
from bot.slack.listeners import actions, commands, digest, events, home, views
from bot.slack.reply import ephemeral, user_of

log = structlog.get_logger(__name__)


def register_all(app: App, svc: Services) -> None:
    """Every surface, then catch-alls for ids nobody registered (buttons of older messages)."""
    for surface in (actions, views, events, commands, home, digest):
        surface.register(app, svc)
    _register_unknown(app, svc)


def _register_unknown(app: App, svc: Services) -> None:
    def unknown_action(body: dict[str, Any], client: Any) -> None:
        action_id = (body.get("actions") or [{}])[0].get("action_id")
        log.warning("unknown action id", action_id=action_id, user=user_of(body))
        pid, _ = parse_button_value((body.get("actions") or [{}])[0].get("value"))
        if pid and _exists(svc, pid):
            notify.refresh(svc, proposal_id=pid)
        ephemeral(
            client,
            body,
            "That button is not one Countersign knows (it may come from an older message). "
            "The message has been refreshed; please use its current buttons.",
        )

    app.action(re.compile(".*"))(ack=ack_only, lazy=[guarded(svc, unknown_action)])
    app.view(re.compile(".*"))(_unknown_view)


def _unknown_view(ack: Any, body: dict[str, Any]) -> None:
    ack()  # closes the modal; nothing to apply
    log.warning("unknown view callback id", callback_id=(body.get("view") or {}).get("callback_id"))


def _exists(svc: Services, pid: str) -> bool:
    try:
        lookup.get(svc, pid)
    except CountersignError:
        return False
    return True
