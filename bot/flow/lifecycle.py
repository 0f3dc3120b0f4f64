"""Everything that happens to a pending proposal without a human decision: cancel, expire, remind, escalate."""

from __future__ import annotations

from bot.enums import ProposalStatus, WorkKind
from bot.errors import InvalidTransition, NotAuthorized, NotFound
from bot.flow import effects, lookup
from bot.flow.authz import approval_policy, deciders, may_decide
from bot.flow.change import Change, changing
from bot.flow.context import Services
from bot.flow.public import ProposalPublic
from bot.store import due, proposals
from bot.store.models import Proposal


def cancel(svc: Services, *, proposal_id: str, agent: str) -> ProposalPublic:
    """The agent withdraws its own pending proposal."""
    with changing(svc, proposal_id, agent=agent) as c:
        if c.p.status != ProposalStatus.PENDING:
            raise InvalidTransition(f"cannot cancel: the {c.p.kind} is already {c.p.status}", status=c.p.status)
        c.decide(ProposalStatus.CANCELLED, actor=f"agent:{agent}", reason="withdrawn by the agent")
    return lookup.get(svc, proposal_id)


def expire(svc: Services, *, proposal_id: str) -> bool:
    """Expire a proposal nobody decided in time (a no, told to the agent as `expired`, not `rejected`)."""
    try:
        with changing(svc, proposal_id) as c:
            if c.p.status != ProposalStatus.PENDING:
                return False
            pol = approval_policy(svc, c.p)
            reason = f"no decision within {_human(pol.expire_after.total_seconds())}"
            fresh = c.decide(ProposalStatus.EXPIRED, actor="countersign", reason=reason)
            effects.queue_note(c.s, fresh, "expired", c.now, reason=reason)
    except NotFound:
        return False  # deleted since it came due: nothing to expire
    return True


def remind(svc: Services, *, proposal_id: str, n: int) -> bool:
    """Post reminder n in the thread, naming who has not acted yet; schedule the next one up to the cap."""
    try:
        with changing(svc, proposal_id) as c:
            p = c.p
            if p.status != ProposalStatus.PENDING or p.reminders_sent >= n:
                return False
            pol = approval_policy(svc, p)
            if n > pol.reminder_cap:  # intake queues the first reminder whatever the cap; reminder_cap: 0 means none
                return False
            approved = {a.user for a in proposals.approvals(session=c.s, proposal_id=p.id, version=p.version)}
            waiting = [i for i in deciders(svc, p).ids if i not in approved]
            c.set(reminders_sent=n)
            effects.queue_note(c.s, p, "reminder", c.now, n=n, waiting=waiting, cap=pol.reminder_cap)
            if pol.remind_after and n < pol.reminder_cap:
                due.enqueue(
                    session=c.s,
                    kind=WorkKind.REMIND,
                    proposal_id=p.id,
                    due_at=c.now + pol.remind_after,
                    now=c.now,
                    data={"n": n + 1},
                    dedupe_key=f"remind:{p.id}:{n + 1}",
                )
            c.record("countersign", "reminder", data={"n": n})
    except NotFound:
        return False
    return True


def escalate(
    svc: Services, *, proposal_id: str, actor: str, target: str | None = None, level: int | None = None
) -> str:
    """Bring in the next person or group (a policy step, or a named target); returns who was mentioned."""
    with changing(svc, proposal_id) as c:
        p = c.p
        if p.status != ProposalStatus.PENDING:
            raise InvalidTransition(f"nothing to escalate: the {p.kind} is already {p.status}")
        if level is not None and p.escalation_level >= level:
            return ""  # this scheduled step already happened (or a manual escalation went past it)
        if actor != "countersign" and not _may_escalate(svc, p, actor):
            # Escalating adds a decider, so only current deciders and the owner may do it.
            refusal = NotAuthorized("only the deciders of this proposal or the workflow owner may escalate it")
            c.refuse(refusal, actor=actor, attempt="escalate")
        return _escalate(c, actor, target, level)


def _escalate(c: Change, actor: str, target: str | None, level: int | None) -> str:
    """Apply one escalation inside the change's transaction; returns who was mentioned."""
    mention, values = _next_mention(c.svc, c.p, target, level)
    c.set(escalations=c.p.escalations + 1, **values)
    fresh = c.fresh()
    effects.queue_note(c.s, fresh, "escalated", c.now, mention=mention, by=actor)
    effects.queue_update(c.s, fresh, c.now)
    data = {"mention": mention, "level": fresh.escalation_level}
    c.record(actor, "escalation", before=ProposalStatus.PENDING, after=ProposalStatus.PENDING, data=data)
    return mention


def _may_escalate(svc: Services, p: Proposal, actor: str) -> bool:
    return actor == svc.policies.workflow(p.workflow).owner or may_decide(svc, p, actor)


def _next_mention(svc: Services, p: Proposal, target: str | None, level: int | None) -> tuple[str, dict[str, object]]:
    """A named target, else the scheduled (or next) policy step, else the workflow owner."""
    pol = approval_policy(svc, p)
    if target:
        return target, {"escalated_to": [*p.escalated_to, target]}
    if level is not None and 0 < level <= len(pol.escalate):
        # A scheduled step mentions its own person even if an earlier step never ran (retrying, or added later).
        return pol.escalate[level - 1].mention, {"escalation_level": level}
    if p.escalation_level < len(pol.escalate):
        return pol.escalate[p.escalation_level].mention, {"escalation_level": p.escalation_level + 1}
    owner = svc.policies.workflow(p.workflow).owner
    return owner, {"escalated_to": [*p.escalated_to, owner]}


def _human(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"
