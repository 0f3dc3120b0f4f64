"""Everything that happens to a pending proposal without a human decision: cancel, expire, remind, escalate."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.enums import ProposalStatus, WorkKind
from bot.errors import InvalidTransition, NotAuthorized, NotFound
from bot.flow import effects
from bot.flow.authz import approval_policy, deciders, may_decide
from bot.flow.context import Services
from bot.flow.public import ProposalPublic, load_public
from bot.flow.transitions import transition
from bot.store import audit, due, proposals
from bot.store.db import session_scope
from bot.store.models import Proposal


def cancel(svc: Services, *, proposal_id: str, agent: str) -> ProposalPublic:
    """The agent withdraws its own pending proposal."""
    now = svc.clock.now()
    with session_scope(svc.engine) as s:
        p = proposals.get_locked(session=s, proposal_id=proposal_id)
        if p is None or p.agent != agent:
            raise NotFound(f"no proposal {proposal_id} for agent {agent!r}")
        if not transition(
            s,
            p.id,
            column="status",
            before=ProposalStatus.PENDING,
            after=ProposalStatus.CANCELLED,
            decided_by=f"agent:{agent}",
            decided_at=now,
            decision_reason="withdrawn by the agent",
            decision_seconds=(now - p.created_at).total_seconds(),
        ):
            raise InvalidTransition(f"cannot cancel: the {p.kind} is already {p.status}", status=p.status)
        fresh = proposals.get(session=s, proposal_id=p.id)
        effects.after_decision(s, svc, fresh, now)
        audit.append(
            session=s,
            actor=f"agent:{agent}",
            action="decision",
            at=now,
            proposal_id=p.id,
            before=ProposalStatus.PENDING,
            after=ProposalStatus.CANCELLED,
            reason="withdrawn by the agent",
        )
        result = load_public(s, p.id)
    svc.kick()
    return result


def expire(svc: Services, *, proposal_id: str) -> bool:
    """Expire a proposal nobody decided in time (a no, told to the agent as `expired`, not `rejected`)."""
    now = svc.clock.now()
    with session_scope(svc.engine) as s:
        p = proposals.get_locked(session=s, proposal_id=proposal_id)
        if p is None or p.status != ProposalStatus.PENDING:
            return False
        pol = approval_policy(svc, p)
        reason = f"no decision within {_human(pol.expire_after.total_seconds())}"
        transition(
            s,
            p.id,
            column="status",
            before=ProposalStatus.PENDING,
            after=ProposalStatus.EXPIRED,
            decided_by="countersign",
            decided_at=now,
            decision_reason=reason,
            decision_seconds=(now - p.created_at).total_seconds(),
        )
        fresh = proposals.get(session=s, proposal_id=p.id)
        effects.after_decision(s, svc, fresh, now)
        effects.queue_note(s, fresh, "expired", now, reason=reason)
        audit.append(
            session=s,
            actor="countersign",
            action="decision",
            at=now,
            proposal_id=p.id,
            before=ProposalStatus.PENDING,
            after=ProposalStatus.EXPIRED,
            reason=reason,
        )
    svc.kick()
    return True


def remind(svc: Services, *, proposal_id: str, n: int) -> bool:
    """Post reminder n in the thread, naming who has not acted yet; schedule the next one up to the cap."""
    now = svc.clock.now()
    with session_scope(svc.engine) as s:
        p = proposals.get_locked(session=s, proposal_id=proposal_id)
        if p is None or p.status != ProposalStatus.PENDING or p.reminders_sent >= n:
            return False
        pol = approval_policy(svc, p)
        if n > pol.reminder_cap:  # intake queues the first reminder whatever the cap; reminder_cap: 0 means none
            return False
        approved = {a.user for a in proposals.approvals(session=s, proposal_id=p.id, version=p.version)}
        waiting = [i for i in deciders(svc, p).ids if i not in approved]
        proposals.set_fields(session=s, proposal_id=p.id, values={"reminders_sent": n})
        effects.queue_note(s, p, "reminder", now, n=n, waiting=waiting, cap=pol.reminder_cap)
        if pol.remind_after and n < pol.reminder_cap:
            due.enqueue(
                session=s,
                kind=WorkKind.REMIND,
                proposal_id=p.id,
                due_at=now + pol.remind_after,
                now=now,
                data={"n": n + 1},
                dedupe_key=f"remind:{p.id}:{n + 1}",
            )
        audit.append(session=s, actor="countersign", action="reminder", at=now, proposal_id=p.id, data={"n": n})
    svc.kick()
    return True


def escalate(
    svc: Services, *, proposal_id: str, actor: str, target: str | None = None, level: int | None = None
) -> str:
    """Bring in the next person or group (a policy step, or a named target); returns who was mentioned."""
    now = svc.clock.now()
    with session_scope(svc.engine) as s:
        p = proposals.get_locked(session=s, proposal_id=proposal_id)
        if p is None:
            raise NotFound(f"no proposal {proposal_id}")
        if p.status != ProposalStatus.PENDING:
            raise InvalidTransition(f"nothing to escalate: the {p.kind} is already {p.status}")
        if level is not None and p.escalation_level >= level:
            return ""  # this scheduled step already happened (or a manual escalation went past it)
        refusal = None
        if actor != "countersign" and not _may_escalate(svc, p, actor):
            # Escalating adds a decider, so only current deciders and the owner may do it.
            refusal = NotAuthorized("only the deciders of this proposal or the workflow owner may escalate it")
            audit.refused(
                session=s, actor=actor, attempt="escalate", error=refusal, at=now, proposal_id=p.id, state=p.status
            )
        else:
            mention = _escalate(s, svc, p, actor, target, level, now)
    if refusal is not None:
        raise refusal  # after the commit: the refused attempt stays in the audit log
    svc.kick()
    return mention


def _escalate(
    s: Session, svc: Services, p: Proposal, actor: str, target: str | None, level: int | None, now: datetime
) -> str:
    """Apply one escalation inside the caller's transaction; returns who was mentioned."""
    mention, values = _next_mention(svc, p, target, level)
    values["escalations"] = p.escalations + 1
    proposals.set_fields(session=s, proposal_id=p.id, values=values)
    fresh = proposals.get(session=s, proposal_id=p.id)
    effects.queue_note(s, fresh, "escalated", now, mention=mention, by=actor)
    effects.queue_update(s, fresh, now)
    audit.append(
        session=s,
        actor=actor,
        action="escalation",
        at=now,
        proposal_id=p.id,
        before=ProposalStatus.PENDING,
        after=ProposalStatus.PENDING,
        data={"mention": mention, "level": fresh.escalation_level},
    )
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
