"""/approvals: the caller's pending approvals with links, shown only to them."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.flow import lookup
from bot.flow.context import Services
from bot.slack.blocks import blocks_json
from bot.slack.errors import ack_only, guarded
from bot.slack.ids import Id
from bot.slack.lists import approvals_reply
from bot.slack.reply import ephemeral, user_of


def register(app: App, svc: Services) -> None:
    """The slash command: ack at once, list lazily (the list reads the database)."""

    def approvals(body: dict[str, Any], client: WebClient) -> None:
        text, blocks = approvals_reply(lookup.waiting_for(svc, user=user_of(body)), svc.settings.zone)
        ephemeral(client, body, text, blocks_json(blocks))

    app.command(Id.APPROVALS_COMMAND)(ack=ack_only, lazy=[guarded(svc, approvals)])
