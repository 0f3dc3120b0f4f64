"""The flow's Notifier on Slack: post, update and reply in threads; unreachable channels fall back to review."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import structlog
from slack_sdk import WebClient

from bot.flow.ports import MessageFacts, MessageRef, Note, NotifyError
from bot.slack import mrkdwn as md
from bot.slack.blocks import blocks_json, proposal_message
from bot.slack.client import GONE, RATE_LIMITED, SlackFailure, slack_call
from bot.slack.notes import note_message

log = structlog.get_logger(__name__)
# chat.update cannot reach the message any more: show the current state somewhere a human looks instead.
LOST = GONE | {"message_not_found", "cant_update_message", "edit_window_closed"}


class SlackNotifier:
    """Renders what the flow gathered (bot.slack.blocks / notes) and talks to Slack through one WebClient."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def post_proposal(self, facts: MessageFacts) -> MessageRef:
        """Post in the agent's thread when given, else the action's channel; else the review channel, noted."""
        card, proposal = self._card(facts), facts.view
        channel, thread_ts = self._home(card)
        try:
            return self._post(card, channel, thread_ts)
        except SlackFailure as exc:
            if exc.code not in GONE:
                raise
            log.warning(
                "could not post a proposal; posting in the review channel",
                proposal=proposal.id,
                channel=channel,
                error=exc.code,
            )
            note = f"⚠️ Could not post in {md.channel_link(channel)} ({md.escape(exc.code)}); posted here instead."
            return self._post(replace(card, note=note), card.review_channel, None, first_error=exc)

    def update_proposal(self, facts: MessageFacts) -> None:
        """Re-render the message in place."""
        card, proposal = self._card(facts), facts.view
        channel, ts = proposal.slack.channel, proposal.slack.ts
        if not channel or not ts:
            return  # not posted yet: the post renders the latest state
        text, blocks = proposal_message(card)
        try:
            with slack_call():
                self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks_json(blocks))
        except SlackFailure as exc:
            if exc.code not in LOST:
                raise
            log.warning(
                "could not update a proposal message; posting its state in the review channel",
                proposal=proposal.id,
                channel=proposal.slack.channel,
                error=exc.code,
            )
            where = md.channel_link(proposal.slack.channel or "")
            note = f"⚠️ Could not update the message in {where} ({md.escape(exc.code)}); this is its current state."
            self._post(replace(card, note=note), card.review_channel, None, first_error=exc)

    def post_note(self, facts: MessageFacts, note: Note) -> None:
        """Reply in the proposal message's thread (or the review channel when the message is unreachable)."""
        card, proposal = facts, facts.view
        text, blocks = note_message(note, card.sensitive)
        channel, ts = proposal.slack.channel, proposal.slack.ts
        try:
            if not channel or not ts:
                raise SlackFailure("not_posted", retryable=False)
            self._send(channel, text, blocks, ts)
        except SlackFailure as exc:
            if exc.code not in GONE | {"not_posted", "message_not_found"}:
                raise
            url = md.safe_url(proposal.slack.permalink or "")
            about = f"<{url}|this proposal>" if url else md.escaped(card.view.summary, 200)
            if exc.code == "not_posted":
                lead = f"⚠️ About {about} (it has no approval message to reply to):\n"
            else:
                lead = (
                    f"⚠️ Could not reply in {md.channel_link(channel or '')} ({md.escape(exc.code)}). About {about}:\n"
                )
            self._send(card.review_channel, md.truncate(lead + text, 3000), None, None, first_error=exc)

    # ---- helpers
    def _card(self, card: MessageFacts) -> MessageFacts:
        proposal, home = card.view, self._home(card)[0]
        if proposal.slack.channel and proposal.slack.channel != home:
            # It lives in the review channel because its own channel failed: keep saying so on every update.
            card = replace(card, note=f"⚠️ Posted here because Countersign could not post in {md.channel_link(home)}.")
        return card

    @staticmethod
    def _home(card: MessageFacts) -> tuple[str, str | None]:
        thread = card.around.thread
        return (thread.channel, thread.ts) if thread else (card.approval.channel, None)

    def _post(
        self, card: MessageFacts, channel: str, thread_ts: str | None, first_error: SlackFailure | None = None
    ) -> MessageRef:
        text, blocks = proposal_message(card)
        response = self._send(channel, text, blocks_json(blocks), thread_ts, first_error=first_error)
        return MessageRef(response["channel"], response["ts"], self._permalink(response["channel"], response["ts"]))

    def _send(
        self, channel: str, text: str, blocks: Any, thread_ts: str | None, first_error: SlackFailure | None = None
    ) -> Any:
        try:
            with slack_call():
                return self.client.chat_postMessage(
                    channel=channel,
                    text=text,
                    blocks=blocks,
                    thread_ts=thread_ts,
                    unfurl_links=False,
                    unfurl_media=False,
                )
        except SlackFailure as exc:
            if exc.code in RATE_LIMITED:
                exc.throttled_channel = channel  # the sweep paces this channel's messages from now on
            if first_error is None or exc.retryable:
                raise
            # Both places refused: the due work is recorded dead with both reasons, and logged by the sweep.
            reason = f"Slack: {first_error.code}; review channel {channel}: {exc.code}"
            raise NotifyError(reason, retryable=False) from exc

    def _permalink(self, channel: str, ts: str) -> str | None:
        try:
            with slack_call():
                return str(self.client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
        except SlackFailure as exc:  # the post worked; a missing link must not make the outbox post it twice
            log.warning("no permalink for a posted message", channel=channel, ts=ts, error=exc.code)
            return None
