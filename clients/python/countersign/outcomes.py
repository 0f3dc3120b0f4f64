"""What a decision means for the code that asked: run it, or one exception per way of not running it."""

from __future__ import annotations

from countersign.errors import CountersignError
from countersign.models import Proposal


class NotApproved(CountersignError):
    """Base of every outcome where the guarded code does not run; `proposal` is the final (or pending) state."""

    def __init__(self, message: str, proposal: Proposal) -> None:
        super().__init__(message)
        self.proposal = proposal

    @property
    def proposal_id(self) -> str:
        """The proposal's id (to look it up, or to keep waiting after TimedOut)."""
        return self.proposal.id


class Rejected(NotApproved):
    """A person rejected the action (`reason` is theirs), or the policy denied it (`reason` is the rule's)."""

    def __init__(self, reason: str, proposal: Proposal) -> None:
        who = "denied by policy" if proposal.status == "denied" else f"rejected by {proposal.decided_by or 'a person'}"
        super().__init__(f"{proposal.workflow}/{proposal.action} was {who}: {reason}", proposal)
        self.reason = reason


class Expired(NotApproved):
    """Nobody decided in time. Not a 'no': the action may be proposed again later."""

    def __init__(self, proposal: Proposal) -> None:
        super().__init__(
            f"{proposal.workflow}/{proposal.action} expired without a decision "
            f"({proposal.decision_reason or 'no decision in time'})",
            proposal,
        )


class Cancelled(NotApproved):
    """The proposal was withdrawn (by this agent, through cancel())."""

    def __init__(self, proposal: Proposal) -> None:
        super().__init__(f"{proposal.workflow}/{proposal.action} was cancelled", proposal)


class TimedOut(NotApproved):
    """The wait ended while the proposal was still pending; it stays pending (wait(proposal_id) resumes)."""

    def __init__(self, proposal: Proposal) -> None:
        super().__init__(
            f"{proposal.workflow}/{proposal.action} is still pending (proposal {proposal.id}); it was not executed",
            proposal,
        )


class NotExecuted(NotApproved):
    """Approved but not to be executed here: the workflow is in shadow mode (or the status is unknown)."""


def ensure_approved(proposal: Proposal) -> Proposal:
    """Return the proposal if the guarded code may run now, else raise the exception that says why not."""
    status = proposal.status
    if proposal.approved:
        if proposal.mode == "shadow":
            # Shadow mode measures agreement without acting: running the function would defeat it.
            raise NotExecuted(f"{proposal.workflow} is in shadow mode: approved, but nothing is executed", proposal)
        return proposal
    if proposal.refused:
        raise Rejected(proposal.refusal_reason, proposal)
    if status == "expired":
        raise Expired(proposal)
    if status == "cancelled":
        raise Cancelled(proposal)
    if status == "pending":
        raise TimedOut(proposal)
    raise NotExecuted(f"{proposal.workflow}/{proposal.action} ended as {status!r}: not executed", proposal)


def explain(proposal: Proposal, *, pending: str | None = None) -> str:
    """One sentence for a model or a person about where the proposal stands (used by the adapters);
    `pending` replaces the advice for a proposal still waiting (what the caller can do about it)."""
    try:
        ensure_approved(proposal)
    except NotApproved as exc:
        advice = {
            Rejected: " Do not retry it unchanged; tell the user why, or propose something different.",
            Expired: " Nobody decided in time; you may propose it again later.",
            TimedOut: f" {pending or f'Check again later with proposal id {proposal.id}.'}",
        }.get(type(exc), "")
        return f"Not executed: {exc.message.rstrip('.')}.{advice}"
    edited = " (a person edited the arguments)" if proposal.edited else ""
    return f"Approved{edited} by {proposal.decided_by or 'policy'}."
