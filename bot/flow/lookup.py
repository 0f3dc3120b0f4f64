"""Read-only lookups for the edges: a proposal by its message, who decides it, what waits for a person."""

from __future__ import annotations

from bot.enums import ProposalKind
from bot.errors import NotFound
from bot.flow.authz import deciders, may_decide
from bot.flow.context import Services
from bot.flow.ports import MessageFacts, MessageRef, Surroundings
from bot.flow.public import ProposalPublic, load_public
from bot.policy import ActionPolicy
from bot.store import proposals
from bot.store.db import read_scope


def get(svc: Services, proposal_id: str) -> ProposalPublic:
    """The public shape of one proposal, or NotFound."""
    with read_scope(svc.engine) as s:
        view = load_public(s, proposal_id)
    if view is None:
        raise NotFound(f"no proposal {proposal_id}")
    return view


def surroundings(svc: Services, proposal_id: str) -> Surroundings:
    """The agent's thread, the current deciders and the possible duplicate's message."""
    with read_scope(svc.engine) as s:
        p = proposals.get(session=s, proposal_id=proposal_id)
        if p is None:
            raise NotFound(f"no proposal {proposal_id}")
        dup = proposals.get(session=s, proposal_id=p.duplicate_of) if p.duplicate_of else None
        thread = MessageRef(p.thread_channel, p.thread_ts) if p.thread_channel and p.thread_ts else None
        earlier = (
            MessageRef(dup.slack_channel, dup.slack_ts, dup.slack_permalink)
            if dup is not None and dup.slack_channel and dup.slack_ts
            else None
        )
        return Surroundings(thread, deciders(svc, p), earlier)


def action_policy(svc: Services, view: ProposalPublic) -> ActionPolicy | None:
    """The action's policy; None for handoffs, which have no action."""
    if view.kind == ProposalKind.HANDOFF:
        return None
    return svc.policies.workflow(view.workflow).action(view.action)


def message_facts(svc: Services, view: ProposalPublic) -> MessageFacts:
    """Everything the proposal's message shows: the public shape plus its policy facts and surroundings."""
    wf = svc.policies.workflow(view.workflow)
    act = action_policy(svc, view)
    return MessageFacts(
        view=view,
        approval=act.approval if act else wf.handoff_policy(),
        owner=wf.owner,
        review_channel=wf.review_channel,
        around=surroundings(svc, view.id),
        zone=svc.settings.zone,
        display=list(act.display) if act else [],
        sensitive=list(act.sensitive) if act else [],
    )


def at_message(svc: Services, *, channel: str, ts: str) -> list[ProposalPublic]:
    """Proposals shown by the message (channel, ts) or posted in the thread it starts, oldest first."""
    with read_scope(svc.engine) as s:
        rows = proposals.at_message(session=s, channel=channel, ts=ts)
        return [v for v in (load_public(s, p.id) for p in rows) if v is not None]


def waiting_for(svc: Services, *, user: str, limit: int = 200) -> list[ProposalPublic]:
    """Pending proposals and handoffs `user` may decide and has not approved yet, oldest first."""
    with read_scope(svc.engine) as s:
        rows = [p for p in proposals.pending(session=s, limit=limit) if may_decide(svc, p, user)]
        views = [load_public(s, p.id) for p in rows]
    return [v for v in views if v is not None and user not in {a.user for a in v.approvals}]


def card_version(svc: Services, proposal_id: str) -> int:
    """The payload version the proposal's Slack message last showed (0 before it was ever shown)."""
    with read_scope(svc.engine) as s:
        p = proposals.get(session=s, proposal_id=proposal_id)
        if p is None:
            raise NotFound(f"no proposal {proposal_id}")
        return p.card_version or 0
