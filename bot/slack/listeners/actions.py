"""Buttons on the proposal message: ack at once, then one flow call in a lazy listener."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.flow import decide, lifecycle, lookup, results
from bot.flow.context import Services
from bot.slack import mrkdwn as md
from bot.slack.errors import ack_only, guarded
from bot.slack.ids import Id, clicked
from bot.slack.modals import Origin, edit_modal, full_modal, reject_modal
from bot.slack.reply import ephemeral, user_of

Body = dict[str, Any]


def register(app: App, svc: Services) -> None:
    """Approve / Edit / Reject / Escalate / View full / Take it / Retry / Mark done / Give up."""
    for action_id, work in _handlers(svc).items():
        app.action(action_id)(ack=ack_only, lazy=[guarded(svc, work)])


def _handlers(svc: Services) -> dict[Id, Any]:
    def approve(body: Body, client: WebClient) -> None:
        pid, version = clicked(body)
        out = decide.approve(svc, proposal_id=pid, user=user_of(body), version=version)
        ephemeral(client, body, f"✅ {md.escape(out.message)}.")

    def take(body: Body, client: WebClient) -> None:
        out = decide.take(svc, proposal_id=clicked(body)[0], user=user_of(body))
        ephemeral(client, body, f"🙋 {md.escape(out.message)}: it is yours now.")

    def escalate(body: Body, client: WebClient) -> None:
        mention = lifecycle.escalate(svc, proposal_id=clicked(body)[0], actor=user_of(body))
        ephemeral(client, body, f"📣 Escalated to {md.mention(mention)}; they are mentioned in the thread.")

    return {
        Id.APPROVE: approve,
        Id.TAKE: take,
        Id.ESCALATE: escalate,
        **_modal_handlers(svc),
        **_execution_handlers(svc),
    }


def _modal_handlers(svc: Services) -> dict[Id, Any]:
    # trigger_id lives 3 s: these run right after the ack, read the proposal once, then open the modal.
    def edit(body: Body, client: WebClient) -> None:
        pid, version = clicked(body)
        view = decide.check(svc, proposal_id=pid, user=user_of(body), verb="edit", version=version)
        act = lookup.action_policy(svc, view)
        schema = act.payload_schema if act else {}
        modal = edit_modal(lookup.message_facts(svc, view), schema, _origin(body, view.version))
        client.views_open(trigger_id=body["trigger_id"], view=modal.to_dict())

    def reject(body: Body, client: WebClient) -> None:
        pid, version = clicked(body)
        view = decide.check(svc, proposal_id=pid, user=user_of(body), verb="reject", version=version)
        modal = reject_modal(lookup.message_facts(svc, view), _origin(body, view.version))
        client.views_open(trigger_id=body["trigger_id"], view=modal.to_dict())

    def view_full(body: Body, client: WebClient) -> None:
        pid, _ = clicked(body)
        card = lookup.message_facts(svc, lookup.get(svc, pid))
        client.views_open(trigger_id=body["trigger_id"], view=full_modal(card).to_dict())

    return {Id.EDIT: edit, Id.REJECT: reject, Id.VIEW_FULL: view_full}


def _execution_handlers(svc: Services) -> dict[Id, Any]:
    def retry(body: Body, client: WebClient) -> None:
        results.retry(svc, proposal_id=clicked(body)[0], user=user_of(body))
        ephemeral(client, body, "🔁 Queued for another attempt; the result will be posted in the thread.")

    def mark_done(body: Body, client: WebClient) -> None:
        results.mark_done(svc, proposal_id=clicked(body)[0], user=user_of(body))
        ephemeral(client, body, "✅ Recorded as done by hand.")

    def give_up(body: Body, client: WebClient) -> None:
        results.give_up(svc, proposal_id=clicked(body)[0], user=user_of(body))
        ephemeral(client, body, "Closed: the action stays not done, and the message says you gave up.")

    return {Id.RETRY: retry, Id.MARK_DONE: mark_done, Id.GIVE_UP: give_up}


def _origin(body: Body, version: int) -> Origin:
    container = body.get("container") or {}
    thread_ts = (body.get("message") or {}).get("thread_ts")
    return Origin(str(body["actions"][0]["value"]).partition(":")[0], version, container.get("channel_id"), thread_ts)
