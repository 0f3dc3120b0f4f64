"""The words the store and the flows agree on, written once. StrEnum members are their strings, so they compare
equal to (and serialise as) the values already in the database and on the wire."""

from __future__ import annotations

from enum import StrEnum


class ProposalKind(StrEnum):
    PROPOSAL = "proposal"  # an action to approve
    HANDOFF = "handoff"  # a case handed to humans


class Route(StrEnum):
    """What the policy decided at intake."""

    AUTO = "auto"
    APPROVE = "approve"
    DENY = "deny"


class ProposalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    AUTO_APPROVED = "auto_approved"
    DENIED = "denied"
    TAKEN = "taken"  # a handoff someone took


class ExecutionStatus(StrEnum):
    NONE = "none"  # not approved (yet)
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"  # shadow mode, or the agent executes (callback)


class WorkKind(StrEnum):
    """One kind of due work in the outbox; bot.scheduler.sweep maps each to its handler."""

    EXECUTE = "execute"
    SLACK_POST = "slack_post"
    SLACK_UPDATE = "slack_update"
    SLACK_NOTE = "slack_note"
    REMIND = "remind"
    ESCALATE = "escalate"
    EXPIRE = "expire"
    CALLBACK = "callback"
    DIGEST = "digest"
    DIGEST_CHART = "digest_chart"


class DueState(StrEnum):
    """Where an outbox item is: waiting (or leased), finished, or given up on."""

    PENDING = "pending"
    DONE = "done"
    DEAD = "dead"
