"""Listener registration, one module per Slack surface; each exposes register(app, svc)."""

from __future__ import annotations

import importlib
import importlib.util
import re
from typing import Any

import structlog
from slack_bolt import App

from bot.errors import CountersignError
from bot.flow import lookup, notify
from bot.flow.services import Services
from bot.slack.errors import ack_only, guarded
from bot.slack.ids import parse_button_value
from bot.slack.reply import ephemeral, user_of

log = structlog.get_logger(__name__)
DIGEST_MODULE = "bot.slack.digest"


def clicked(body: dict[str, Any]) -> tuple[str, int | None]:
    """(proposal id, version seen) from the clicked button."""
    pid, version = parse_button_value((body.get("actions") or [{}])[0].get("value"))
    if not pid:
        raise CountersignError("this button carries no proposal; the message may be from an older version")
    return pid, version


def register_all(app: App, svc: Services) -> None:
    """Every surface, then the digest's button (when that module exists), then catch-alls for unknown ids."""
    from bot.slack.listeners import actions, commands, events, home, views

    for surface in (actions, views, events, commands, home):
        surface.register(app, svc)
    if importlib.util.find_spec(DIGEST_MODULE) is not None:  # written separately; mounted when present
        importlib.import_module(DIGEST_MODULE).register(app, svc)
    _register_unknown(app, svc)


def _register_unknown(app: App, svc: Services) -> None:
    def unknown_action(body: dict[str, Any], client: Any) -> None:
        action_id = (body.get("actions") or [{}])[0].get("action_id")
        log.warning("unknown action id", action_id=action_id, user=user_of(body))
        pid, _ = parse_button_value((body.get("actions") or [{}])[0].get("value"))
        if pid and _exists(svc, pid):
            notify.refresh(svc, proposal_id=pid)
        ephemeral(client, body, "That button is not one Countersign knows (it may come from an older message). "
                                "The message has been refreshed; please use its current buttons.")

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
