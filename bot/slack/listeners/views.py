"""Modal submissions: the Edit form is checked by the flow before answering (inline errors), Reject is lazy."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.flow import decide, edit, lookup
from bot.flow.context import Services
from bot.slack.errors import guarded
from bot.slack.ids import Id
from bot.slack.modals import Origin
from bot.slack.reply import ephemeral, user_of
from bot.slack.schema_form import form_fields, parse

Body = dict[str, Any]
REASON_REQUIRED = "Please say why: the agent receives this reason."


def register(app: App, svc: Services) -> None:
    """Edit and Reject modals."""
    app.view(Id.EDIT_MODAL)(_edit_submission(svc))
    app.view(Id.REJECT_MODAL)(ack=_check_reason, lazy=[guarded(svc, _rejecter(svc))])


def _edit_submission(svc: Services) -> Any:
    def submit_edit(ack: Any, body: Body, view: Body) -> None:
        # Slack shows errors only in this answer, so the flow's verdict (schema, policy, staleness) comes first;
        # errors it raises are turned into inline errors by the app's error handler.
        origin = Origin.load(view.get("private_metadata"))
        current = lookup.get(svc, origin.proposal_id)
        act = lookup.action_policy(svc, current)
        fields = form_fields(act.payload_schema if act else {})
        payload, errors = parse(fields, view["state"]["values"], current.payload, act.sensitive if act else [])
        if errors:
            ack(response_action="errors", errors=errors)
            return
        if payload != current.payload or origin.version != current.version:
            edit.edit(svc, proposal_id=origin.proposal_id, user=user_of(body), payload=payload, version=origin.version)
        ack()

    return submit_edit


def _reason(view: Body) -> str:
    entry = view["state"]["values"].get(Id.REASON_BLOCK, {}).get(Id.REASON_INPUT, {})
    return str(entry.get("value") or "").strip()


def _check_reason(ack: Any, view: Body) -> None:
    if _reason(view):
        ack()
    else:
        ack(response_action="errors", errors={Id.REASON_BLOCK: REASON_REQUIRED})


def _rejecter(svc: Services) -> Any:
    def reject(body: Body, client: WebClient) -> None:
        reason = _reason(body["view"])
        if not reason:
            return  # the modal is still open with the error shown by the ack
        origin = Origin.load(body["view"].get("private_metadata"))
        decide.reject(svc, proposal_id=origin.proposal_id, user=user_of(body), reason=reason, version=origin.version)
        ephemeral(client, body, "❌ Rejected; the agent receives your reason.")

    return reject
