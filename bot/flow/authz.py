"""Who may decide a proposal: the policy's approvers, plus whoever an escalation brought in."""

from __future__ import annotations

from bot.enums import ProposalKind
from bot.flow.context import Services
from bot.flow.ports import Deciders
from bot.policy import ApprovalPolicy
from bot.store.models import Proposal


def approval_policy(svc: Services, p: Proposal) -> ApprovalPolicy:
    """The approval section that governs this proposal (the handoff section for handoffs)."""
    wf = svc.policies.workflow(p.workflow)
    return wf.handoff_policy() if p.kind == ProposalKind.HANDOFF else wf.action(p.action).approval


def deciders(svc: Services, p: Proposal) -> Deciders:
    """Policy approvers, escalation steps already reached, and manually escalated people or groups."""
    pol = approval_policy(svc, p)
    ids = [*pol.users, *pol.usergroups]
    ids += [step.mention for step in pol.escalate[: p.escalation_level]]
    ids += list(p.escalated_to or [])
    unique = list(dict.fromkeys(ids))
    return Deciders(tuple(i for i in unique if not i.startswith("S")), tuple(i for i in unique if i.startswith("S")))


def may_decide(svc: Services, p: Proposal, user: str) -> bool:
    """True if `user` is a decider directly or through a user group."""
    who = deciders(svc, p)
    return user in who.users or any(user in svc.directory.members(group) for group in who.usergroups)


def may_handle(svc: Services, p: Proposal, user: str) -> bool:
    """Deciders and the workflow owner may act on what follows a decision (failed executions)."""
    return user == svc.policies.workflow(p.workflow).owner or may_decide(svc, p, user)
