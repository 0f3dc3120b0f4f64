"""Human decisions: approve (with quorum), reject, take a handoff. Refusals are audited, then raised."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.enums import ProposalKind, ProposalStatus
from bot.errors import CountersignError, InvalidTransition, NotAuthorized, NotFound, StaleView
from bot.flow import effects
from bot.flow.authz import deciders, may_decide
from bot.flow.context import Services
from bot.flow.public import ProposalPublic, load_public
from bot.flow.transitions import transition
from bot.store import audit, proposals
from bot.store.db import read_scope, session_scope
from bot.store.models import Proposal


@dataclass(frozen=True)
class Outcome:
    """What a decision call did: the fresh proposal, and a line for the person who clicked."""

    proposal: ProposalPublic
    message: str


class Refused(NotAuthorized):
    """A decision attempt that policy does not allow; `deciders` says who could."""


def approve(svc: Services, *, proposal_id: str, user: str, version: int | None = None) -> Outcome:
    """Record one approval; the quorum-completing one approves the proposal."""
    now = svc.clock.now()
    with session_scope(svc.engine) as s:
        p = _load(s, proposal_id)
        refusal = _refusal(svc, p, user, version, verb="approve") or _approve_refusal(svc, p, user)
        if refusal is None:
            message = _add_approval(s, svc, p, user, now)
        else:
            audit.refused(
                session=s, actor=user, attempt="approve", error=refusal, at=now, proposal_id=p.id, state=p.status
            )
    if refusal is not None:
        raise refusal
    svc.kick()
    return _outcome(svc, proposal_id, message)


def reject(svc: Services, *, proposal_id: str, user: str, reason: str, version: int | None = None) -> Outcome:
    """Reject: any one authorized rejection decides."""
    reason = reason.strip()
    if not reason:
        raise CountersignError("a reason is required to reject")
    return _decide(svc, proposal_id, user, version, verb="reject", after=ProposalStatus.REJECTED, reason=reason)


def take(svc: Services, *, proposal_id: str, user: str) -> Outcome:
    """Take a handoff: the taker becomes responsible for it."""
    return _decide(svc, proposal_id, user, None, verb="take", after=ProposalStatus.TAKEN, reason=None)


def check(svc: Services, *, proposal_id: str, user: str, verb: str, version: int | None = None) -> ProposalPublic:
    """The proposal, if `user` may `verb` it now (e.g. before opening a form); else the refusal, audited."""
    now = svc.clock.now()
    with session_scope(svc.engine) as s:
        p = _load(s, proposal_id)
        refusal = _refusal(svc, p, user, version, verb=verb)
        if refusal is not None:
            audit.refused(session=s, actor=user, attempt=verb, error=refusal, at=now, proposal_id=p.id, state=p.status)
    if refusal is not None:
        raise refusal
    return _outcome(svc, proposal_id, "").proposal


def _decide(
    svc: Services, proposal_id: str, user: str, version: int | None, *, verb: str, after: str, reason: str | None
) -> Outcome:
    now = svc.clock.now()
    with session_scope(svc.engine) as s:
        p = _load(s, proposal_id)
        refusal = _refusal(svc, p, user, version, verb=verb)
        if refusal is None:
            _finish(s, svc, p, user, after, reason, now)
        else:
            audit.refused(session=s, actor=user, attempt=verb, error=refusal, at=now, proposal_id=p.id, state=p.status)
    if refusal is not None:
        raise refusal
    svc.kick()
    return _outcome(svc, proposal_id, f"{after.capitalize()} by {user}")


def _load(s: Session, proposal_id: str) -> Proposal:
    p = proposals.get_locked(session=s, proposal_id=proposal_id)
    if p is None:
        raise NotFound(f"no proposal {proposal_id}")
    return p


def _refusal(svc: Services, p: Proposal, user: str, version: int | None, *, verb: str) -> CountersignError | None:
    if p.status != ProposalStatus.PENDING:
        by = f" by {p.decided_by}" if p.decided_by else ""
        return InvalidTransition(
            f"this {p.kind} was already {p.status.replace('_', ' ')}{by}", status=p.status, decided_by=p.decided_by
        )
    if (verb == "take") != (p.kind == ProposalKind.HANDOFF):
        return InvalidTransition(f"cannot {verb} a {p.kind}")
    if version is not None and version != p.version:
        return StaleView(
            f"this {p.kind} changed since you saw it (now version {p.version}); look again before deciding",
            version=p.version,
        )
    if not may_decide(svc, p, user):
        return Refused(f"you are not allowed to {verb} this {p.kind}", deciders=deciders(svc, p).ids, verb=verb)
    return None


def _approve_refusal(svc: Services, p: Proposal, user: str) -> CountersignError | None:
    pol = svc.policies.workflow(p.workflow).action(p.action).approval
    if p.requested_by == user and not pol.allow_self_approval:
        return Refused(
            "you requested this action, and this workflow does not allow self-approval",
            deciders=deciders(svc, p).ids,
            verb="approve",
            self_approval=True,
        )
    if p.problems:
        return Refused("the payload has problems; fix them with Edit before approving", deciders=())
    return None


def _add_approval(s: Session, svc: Services, p: Proposal, user: str, now: datetime) -> str:
    if not proposals.add_approval(session=s, proposal_id=p.id, user=user, version=p.version, at=now):
        return "You have already approved this version"
    count = proposals.count_approvals(session=s, proposal_id=p.id, version=p.version)
    if count < p.required_approvals:
        audit.append(
            session=s,
            actor=user,
            action="approval",
            at=now,
            proposal_id=p.id,
            before=ProposalStatus.PENDING,
            after=ProposalStatus.PENDING,
            data={"approvals": count, "required": p.required_approvals, "version": p.version},
        )
        effects.queue_update(s, p, now)
        return f"{count} of {p.required_approvals} approvals"
    _finish(s, svc, p, user, "approved", None, now)
    return f"Approved ({count} of {p.required_approvals})" if p.required_approvals > 1 else "Approved"


def _finish(s: Session, svc: Services, p: Proposal, user: str, after: str, reason: str | None, now: datetime) -> None:
    seconds = (now - p.created_at).total_seconds()
    won = transition(
        s,
        p.id,
        column="status",
        before=ProposalStatus.PENDING,
        after=after,
        decided_by=user,
        decided_at=now,
        decision_reason=reason,
        decision_seconds=seconds,
    )
    if not won:  # unreachable under the row lock; kept so a logic slip can never double-decide
        raise InvalidTransition("this proposal was decided by someone else a moment ago")
    fresh = proposals.get(session=s, proposal_id=p.id)
    assert fresh is not None
    effects.after_decision(s, svc, fresh, now)
    audit.append(
        session=s,
        actor=user,
        action="decision",
        at=now,
        proposal_id=p.id,
        before=ProposalStatus.PENDING,
        after=after,
        reason=reason,
        data={"version": fresh.version, "edited": fresh.edited},
    )


def _outcome(svc: Services, proposal_id: str, message: str) -> Outcome:
    with read_scope(svc.engine) as s:
        fresh = load_public(s, proposal_id)
    assert fresh is not None
    return Outcome(fresh, message)
