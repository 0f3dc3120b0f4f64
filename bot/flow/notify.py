"""Due-work handlers that keep Slack in step with the database, through the Notifier port."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from bot.enums import DueState, ProposalKind, WorkKind
from bot.errors import CountersignError
from bot.flow import lookup
from bot.flow.context import Services
from bot.flow.outbox import GiveUp, Retry, backoff
from bot.flow.ports import Note, Notifier, NotifyError
from bot.flow.public import load_public
from bot.store import due, proposals
from bot.store.db import read_scope, session_scope
from bot.store.models import DueWork

NOT_CONFIGURED_RETRY = timedelta(minutes=15)
# A message update that got no answer may still be applied by Slack after a newer one, showing a stale state.
# Its retry re-renders the current state after that window, so the message ends up right.
LATE_ARRIVAL = timedelta(seconds=30)


def post(svc: Services, *, proposal_id: str, attempt: int) -> None:
    """Post the proposal message once; if the proposal moved on meanwhile, queue an update."""
    notifier = _notifier(svc)
    with read_scope(svc.engine) as s:
        before = load_public(s, proposal_id)
    if before is None or before.slack.ts:
        return
    facts = lookup.message_facts(svc, before)
    ref = _call(lambda: notifier.post_proposal(facts), attempt)
    with session_scope(svc.engine) as s:
        proposals.set_fields(
            session=s,
            proposal_id=proposal_id,
            values={
                "slack_channel": ref.channel,
                "slack_ts": ref.ts,
                "slack_permalink": ref.permalink,
                **_shown(svc, before),
            },
        )
        after = load_public(s, proposal_id)
        if after is not None and _rendered_state(after) != _rendered_state(before):
            due.enqueue(
                session=s,
                kind=WorkKind.SLACK_UPDATE,
                proposal_id=proposal_id,
                due_at=svc.clock.now(),
                now=svc.clock.now(),
                max_attempts=1000,
            )
    svc.kick()


def update(svc: Services, *, proposal_id: str, attempt: int) -> None:
    """Re-render the message in place (nothing to do before it is posted: the post renders the latest state)."""
    notifier = _notifier(svc)
    with read_scope(svc.engine) as s:
        view = load_public(s, proposal_id)
    if view is None or not view.slack.ts:
        return
    facts = lookup.message_facts(svc, view)
    _call(lambda: notifier.update_proposal(facts), attempt, in_doubt_wait=LATE_ARRIVAL)
    with session_scope(svc.engine) as s:
        proposals.set_fields(session=s, proposal_id=proposal_id, values=_shown(svc, view))


def _shown(svc: Services, view: Any) -> dict[str, Any]:
    """What the card now shows: the version of the rendering just sent (not the current one, which may be newer)."""
    return {"card_version": view.version, "card_shown_at": svc.clock.now()}


def note(svc: Services, *, proposal_id: str, data: dict[str, Any], attempt: int) -> None:
    """Post a thread reply; wait for the parent message if it is still queued."""
    notifier = _notifier(svc)
    with read_scope(svc.engine) as s:
        view = load_public(s, proposal_id)
        post_pending = any(
            w.state == DueState.PENDING
            for w in due.for_proposal(session=s, proposal_id=proposal_id, kind=WorkKind.SLACK_POST)
        )
    if view is None:
        return
    if not view.slack.ts and post_pending:
        raise Retry("waiting for the proposal message to be posted first", backoff(attempt, base=2, cap=60))
    if not view.slack.ts and _success(data):
        return  # it ran without a message (auto-approved, live): successes are for the digest, not a warning
    payload = dict(data)
    facts, note_ = lookup.message_facts(svc, view), Note(kind=str(payload.pop("kind")), data=payload)
    _call(lambda: notifier.post_note(facts, note_), attempt)


def _success(data: dict[str, Any]) -> bool:
    return data.get("kind") == "executed" or (data.get("kind") == "reported" and bool(data.get("ok")))


def _notifier(svc: Services) -> Notifier:
    if svc.notifier is None:
        raise Retry("Slack is not configured (set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET)", NOT_CONFIGURED_RETRY)
    return svc.notifier


def _call(fn: Any, attempt: int, *, in_doubt_wait: timedelta = timedelta(0)) -> Any:
    try:
        return fn()
    except NotifyError as exc:
        if not exc.retryable:
            raise GiveUp(str(exc)) from exc
        wait = timedelta(seconds=exc.retry_after) if exc.retry_after else backoff(attempt)
        if exc.in_doubt:
            wait = max(wait, in_doubt_wait)
        raise Retry(str(exc), wait, channel=exc.throttled_channel) from exc


MESSAGE_KINDS = frozenset({"slack_post", "slack_note"})


def message_channels(svc: Services, items: Sequence[DueWork]) -> dict[int, str]:
    """The channel each message-posting item will post in (item id -> channel), for the sweep's per-channel pacing.

    A new message goes to the agent's thread, else the action's (or handoff's) approval channel; a note goes where
    the proposal's message is. Items whose channel is not known yet are left out (they are simply not paced)."""
    wanted = {i.proposal_id for i in items if i.kind in MESSAGE_KINDS and i.proposal_id}
    if not wanted:
        return {}
    with read_scope(svc.engine) as s:
        rows = {r.id: r for r in proposals.where_posted(session=s, proposal_ids=sorted(wanted))}
    out: dict[int, str] = {}
    for item in items:
        row = rows.get(item.proposal_id or "")
        if row is None or item.kind not in MESSAGE_KINDS:
            continue
        channel = row.slack_channel if item.kind == WorkKind.SLACK_NOTE else _home_channel(svc, row)
        if channel and item.id is not None:
            out[item.id] = channel
    return out


def _home_channel(svc: Services, row: Any) -> str | None:
    if row.thread_channel and row.thread_ts:
        return str(row.thread_channel)
    try:
        wf = svc.policies.workflow(row.workflow)
        return (wf.handoff_policy() if row.kind == ProposalKind.HANDOFF else wf.action(row.action).approval).channel
    except CountersignError:  # the policy changed since: the notifier will say so; nothing to pace
        return None


def _rendered_state(view: Any) -> tuple[Any, ...]:
    return (view.status, view.version, len(view.approvals), view.execution.status, view.escalation_level)


def refresh(svc: Services, *, proposal_id: str) -> None:
    """Queue a re-render of the proposal's message (someone acted on an outdated view of it)."""
    now = svc.clock.now()
    with session_scope(svc.engine) as s:
        due.enqueue(
            session=s, kind=WorkKind.SLACK_UPDATE, proposal_id=proposal_id, due_at=now, now=now, max_attempts=1000
        )
    svc.kick()
