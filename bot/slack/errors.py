"""The one error handler of the Slack edge: domain errors become a clear ephemeral (or inline) answer,
anything unexpected is logged with an incident id the person can quote."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

import structlog
from slack_bolt import BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import CountersignError, InvalidTransition, StaleView
from bot.flow import notify
from bot.flow.context import Services
from bot.flow.decide import Refused
from bot.flow.edit import InvalidEdit
from bot.slack import mrkdwn as md
from bot.slack.ids import parse_button_value
from bot.slack.reply import ephemeral, user_of
from bot.slack.schema_form import errors_for_blocks

log = structlog.get_logger(__name__)
TRIGGER_ERRORS = {"expired_trigger_id", "exchanged_trigger_id", "invalid_trigger_id"}


def sentence(text: str) -> str:
    """Capitalized and ending with a full stop."""
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "." if text else ""


def describe(error: Exception, user: str, *, plain: bool = False) -> str | None:
    """What the person is told about a known error (mrkdwn, or plain text for modal errors); None if unknown."""
    who: Callable[[str], str] = str if plain else md.mention
    if isinstance(error, Refused):
        return _refused(error, user, who)
    if isinstance(error, StaleView):
        return sentence(md.escape(error.message)) + " The message now shows the current version."
    if isinstance(error, InvalidTransition) and error.details.get("decided_by"):
        by = str(error.details["decided_by"])
        shown = by if plain else md.actor(by)
        return sentence(md.escape(error.message).replace(f" by {md.escape(by)}", f" by {shown}"))
    if isinstance(error, CountersignError):
        return sentence(md.escape(error.message))
    if isinstance(error, SlackApiError) and error.response.get("error") in TRIGGER_ERRORS:
        return f"Slack did not let me open the form in time ({error.response['error']}). Please click the button again."
    return None


def _refused(error: Refused, user: str, who: Callable[[str], str]) -> str:
    named = error.details.get("deciders")
    deciders = [str(i) for i in named] if isinstance(named, list | tuple) else []
    verb = str(error.details.get("verb") or "decide")
    base = sentence(md.escape(error.message))
    others = [who(i) for i in deciders if i != user]
    if not others:
        return base
    if error.details.get("self_approval"):
        return f"{base} Ask {md.join_or(others)} to {verb} it."
    return f"{base} Only {md.join_or(others)} may {verb} it."


def proposal_id_of(body: dict[str, Any]) -> str | None:
    """The proposal a request is about: a button value or a modal's private_metadata."""
    for act in body.get("actions") or []:
        pid, _ = parse_button_value(act.get("value"))
        if pid:
            return pid
    try:
        return json.loads((body.get("view") or {}).get("private_metadata") or "{}").get("p")
    except ValueError:
        return None


def report(svc: Services, error: Exception, body: dict[str, Any], client: WebClient) -> None:
    """Log the outcome, re-render a stale message, and tell the person."""
    text = _explain(svc, error, body)
    ephemeral(client, body, text)


def _explain(svc: Services, error: Exception, body: dict[str, Any], *, plain: bool = False) -> str:
    text = describe(error, user_of(body), plain=plain)
    kind = body.get("type")
    if text is None:
        incident = secrets.token_hex(4)
        log.error("slack request failed", incident=incident, kind=kind, user=user_of(body), exc_info=error)
        return (
            f"Something went wrong (incident {incident}). It was logged; please try again or tell the workflow owner."
        )
    log.info(
        "slack request refused", kind=kind, user=user_of(body), error=type(error).__name__, detail=str(error)[:300]
    )
    pid = proposal_id_of(body)
    if isinstance(error, StaleView) and pid:
        notify.refresh(svc, proposal_id=pid)  # the clicker saw an old version: show them the current one
    return text


def view_errors(svc: Services, error: Exception, body: dict[str, Any]) -> dict[str, str] | None:
    """Inline errors for a refused view_submission, keyed by the modal's input block_ids (None: no inputs)."""
    blocks = (body.get("view") or {}).get("blocks") or []
    inputs = [b["block_id"] for b in blocks if b.get("type") == "input" and b.get("block_id")]
    if not inputs:
        return None
    if isinstance(error, InvalidEdit):
        log.info("edit refused: invalid payload", user=user_of(body), problems=len(error.problems))
        return errors_for_blocks(inputs, error.problems)
    text = _explain(svc, error, body, plain=True)
    return {inputs[0]: md.truncate(text, 300)}


def error_handler(svc: Services) -> Callable[..., BoltResponse]:
    """The `@app.error` handler: every listener error ends here (lazy ones through `guarded`)."""

    def on_error(error: Exception, body: dict[str, Any], client: WebClient) -> BoltResponse:
        if body.get("type") == "view_submission":
            errors = view_errors(svc, error, body)
            if errors:
                return BoltResponse(
                    status=200,
                    body=json.dumps({"response_action": "errors", "errors": errors}),
                    headers={"content-type": "application/json"},
                )
        report(svc, error, body, client)
        return BoltResponse(status=200, body="")  # the person has an explanation; no second error from Slack

    return on_error


def guarded(svc: Services, fn: Callable[[dict[str, Any], WebClient], None]) -> Callable[..., None]:
    """A lazy listener whose errors reach the same handler (Bolt would only log them)."""

    def run(body: dict[str, Any], client: WebClient) -> None:
        try:
            fn(body, client)
        except Exception as exc:  # noqa: BLE001 - answered and logged (with a traceback) in report()
            report(svc, exc, body, client)

    run.__name__ = run.__qualname__ = f"lazy_{fn.__name__}"  # Bolt tells lazy functions apart by name
    return run


def ack_only(ack: Any) -> None:
    """The ack half of a lazy listener: answer Slack at once, the work follows."""
    ack()
