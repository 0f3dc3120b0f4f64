"""The digest's "Mark reviewed" button: ack at once, then record the review and update the message (lazily)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import App
from slack_sdk import WebClient

from bot.digest.render import digest_blocks, digest_text, parse_review_value
from bot.flow import digest as digest_flow
from bot.flow.context import Services
from bot.slack import mrkdwn as md
from bot.slack.client import slack_call
from bot.slack.errors import ack_only, guarded
from bot.slack.ids import Id
from bot.slack.reply import ephemeral, user_of


def register(app: App, svc: Services) -> None:
    """Listen for "Mark reviewed": ack at once, then record the review and update the message (lazily)."""

    def mark_reviewed(body: dict[str, Any], client: WebClient) -> None:
        _mark_reviewed(svc, body, client)

    app.action(Id.MARK_REVIEWED)(ack=ack_only, lazy=[guarded(svc, mark_reviewed)])


def _mark_reviewed(svc: Services, body: dict[str, Any], client: WebClient) -> None:
    period, workflow = parse_review_value(str((body.get("actions") or [{}])[0].get("value") or ""))
    review = digest_flow.mark_reviewed(svc, period=period, workflow=workflow, user=user_of(body))
    # Updated on every click: a later click means that person still saw the button.
    with slack_call():
        client.chat_update(
            channel=review.channel, ts=review.ts, text=digest_text(review.report), blocks=digest_blocks(review.report)
        )
    if not review.first:
        zone = ZoneInfo(review.report.timezone)
        when = review.reviewed_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        ephemeral(client, body, f"Already reviewed by {md.mention(review.reviewed_by)} on {when} ({zone.key}).")
