"""Human decisions: approve (with quorum), reject, take a handoff. Refusals are audited, then raised."""

from __future__ import annotations

from dataclasses import dataclass

from bot.enums import ProposalKind, ProposalStatus
from bot.errors import CountersignError, InvalidTransition, NotAuthorized, NotFound, StaleView
from bot.flow import effects
from bot.flow.authz import deciders, may_decide
from bot.flow.change import Change, changing
from bot.flow.context import Services
from bot.flow.public import ProposalPublic, load_public
from bot.store import proposals
from bot.store.db import read_scope
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
    with changing(svc, proposal_id) as c:
        refusal = _refusal(svc, c.p, user, version, verb="approve") or _approve_refusal(svc, c.p, user)
        if refusal is not None:
            c.refuse(refusal, actor=user, attempt="approve")
        message = _add_approval(c, user)
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
    with changing(svc, proposal_id) as c:
        refusal = _refusal(svc, c.p, user, version, verb=verb)
        if refusal is not None:
            c.refuse(refusal, actor=user, attempt=verb)
    return _outcome(svc, proposal_id, "").proposal


def _decide(
    svc: Services,
    proposal_id: str,
    user: str,
    version: int | None,
    *,
    verb: str,
    after: ProposalStatus,
    reason: str | None,
) -> Outcome:
    with changing(svc, proposal_id) as c:
        refusal = _refusal(svc, c.p, user, version, verb=verb)
        if refusal is not None:
            c.refuse(refusal, actor=user, attempt=verb)
        _finish(c, user, after, reason)
    return _outcome(svc, proposal_id, f"{after.capitalize()} by {user}")


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


def _add_approval(c: Change, user: str) -> str:
    p = c.p
    if not proposals.add_approval(session=c.s, proposal_id=p.id, user=user, version=p.version, at=c.now):
        return "You have already approved this version"
    count = proposals.count_approvals(session=c.s, proposal_id=p.id, version=p.version)
    if count < p.required_approvals:
        data = {"approvals": count, "required": p.required_approvals, "version": p.version}
        c.record(user, "approval", before=ProposalStatus.PENDING, after=ProposalStatus.PENDING, data=data)
        effects.queue_update(c.s, p, c.now)
        return f"{count} of {p.required_approvals} approvals"
    _finish(c, user, ProposalStatus.APPROVED, None)
    return f"Approved ({count} of {p.required_approvals})" if p.required_approvals > 1 else "Approved"


def _finish(c: Change, user: str, after: ProposalStatus, reason: str | None) -> None:
    # The audit event says which version was decided and whether it had been edited.
    c.decide(after, actor=user, reason=reason, data={"version": c.p.version, "edited": c.p.edited})


def _outcome(svc: Services, proposal_id: str, message: str) -> Outcome:
    with read_scope(svc.engine) as s:
        fresh = load_public(s, proposal_id)
    if fresh is None:
        raise NotFound(f"no proposal {proposal_id}")
    return Outcome(fresh, message)
