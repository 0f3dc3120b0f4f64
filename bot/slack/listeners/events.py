"""@Countersign approve | reject <reason> | escalate [to @someone], typed in a proposal's thread."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.enums import ProposalStatus
from bot.errors import CountersignError, NotFound, StaleView
from bot.flow import decide, lifecycle, lookup, notify
from bot.flow.context import Services
from bot.flow.public import ProposalPublic
from bot.slack import mrkdwn as md
from bot.slack.errors import ack_only, guarded
from bot.slack.mention_text import HELP, Command, parse
from bot.slack.reply import in_thread

Body = dict[str, Any]


def register(app: App, svc: Services) -> None:
    """app_mention: acked at once (Slack retries slow events), handled lazily, answered in the thread."""

    def mention(body: Body, client: WebClient) -> None:
        event = body["event"]
        command, thread = parse(event.get("text", "")), event.get("thread_ts")
        if command.verb == "help" or not thread:
            in_thread(client, event["channel"], thread or event["ts"], HELP)
            return
        proposal = _proposal_in_thread(svc, event["channel"], thread)
        try:
            done = _apply(svc, command, proposal.id, event["user"])
        except StaleView as exc:
            notify.refresh(svc, proposal_id=proposal.id)
            done = _stale(proposal, exc)
        in_thread(client, event["channel"], thread, f"{md.mention(event['user'])}: {done}")

    app.event("app_mention")(ack=ack_only, lazy=[guarded(svc, mention)])


def _proposal_in_thread(svc: Services, channel: str, thread_ts: str) -> ProposalPublic:
    """The proposal whose message starts the thread, or the one pending proposal posted inside it."""
    found = lookup.at_message(svc, channel=channel, ts=thread_ts)
    own = [p for p in found if p.slack.ts == thread_ts]
    pending = [p for p in found if p.status == ProposalStatus.PENDING]
    if own:
        return own[0]
    if len(pending) == 1:
        return pending[0]
    if pending:
        raise CountersignError(f"{len(pending)} proposals wait in this thread; use the buttons on the one you mean")
    raise NotFound("there is no pending proposal in this thread")


def _apply(svc: Services, command: Command, pid: str, user: str) -> str:
    """One flow call per verb; returns the line to post. A typed decision is held to the version on the card (what
    the typer could have seen), like a button: an edit the card does not show yet refuses it."""
    if command.verb == "approve":
        seen = lookup.card_version(svc, pid)
        return md.escape(decide.approve(svc, proposal_id=pid, user=user, version=seen).message)
    if command.verb == "reject":
        if not command.reason:
            raise CountersignError("say why: `@Countersign reject <reason>` (the agent receives the reason)")
        seen = lookup.card_version(svc, pid)
        return md.escape(decide.reject(svc, proposal_id=pid, user=user, reason=command.reason, version=seen).message)
    mention = lifecycle.escalate(svc, proposal_id=pid, actor=user, target=command.target)
    return f"escalated to {md.mention(mention)}"


def _stale(proposal: ProposalPublic, error: StaleView) -> str:
    """Nothing was decided: point at the card, which is being brought up to date."""
    now = error.details.get("version")
    card = f"<{proposal.slack.permalink}|the card>" if proposal.slack.permalink else "the card"
    return (
        f"nothing was decided: this {proposal.kind} was edited since its card was last updated (it is now version "
        f"{now}). Read {card} again (it is being updated to the current version) and decide there."
    )
