"""The proposal as the agent API returns it; unknown fields are kept, so a newer server never breaks an older client."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

APPROVED = frozenset({"approved", "auto_approved"})
REFUSED = frozenset({"rejected", "denied"})


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Approval(_Open):
    user: str
    at: datetime


class Execution(_Open):
    status: str = "none"  # none | queued | running | succeeded | failed | skipped
    attempts: int = 0
    result: Any = None
    error: str | None = None
    finished_at: datetime | None = None


class SlackRef(_Open):
    channel: str | None = None
    ts: str | None = None
    permalink: str | None = None


class Problem(_Open):
    path: str
    message: str


class CallbackDelivery(_Open):
    event: str
    state: str
    attempts: int = 0
    last_error: str | None = None


class Proposal(_Open):
    """One proposal (or handoff) and its decision, payload, approvals and execution."""

    id: str
    kind: str = "proposal"
    workflow: str
    action: str
    status: str  # pending | approved | auto_approved | rejected | denied | expired | cancelled | taken
    route: str = ""
    reason: str = ""
    summary: str = ""
    payload: Any = None
    original_payload: Any = None
    edited: bool = False
    diff: list[dict[str, Any]] = []
    problems: list[Problem] = []
    required_approvals: int = 1
    approvals: list[Approval] = []
    decided_by: str | None = None
    decision_reason: str | None = None
    execution: Execution = Execution()
    mode: str = "live"
    created_at: datetime | None = None
    decided_at: datetime | None = None
    expires_at: datetime | None = None
    slack: SlackRef = SlackRef()
    requested_by: str | None = None
    idempotency_key: str | None = None
    duplicate_of: str | None = None
    version: int = 1
    escalation_level: int = 0
    links: list[dict[str, str]] = []
    callbacks: list[CallbackDelivery] = []

    @property
    def is_final(self) -> bool:
        """True once decided (any status but pending)."""
        return self.status != "pending"

    @property
    def approved(self) -> bool:
        """True when approved by people or automatically by policy."""
        return self.status in APPROVED

    @property
    def refused(self) -> bool:
        """True when a person rejected it or the policy denied it (never for an expiry)."""
        return self.status in REFUSED

    @property
    def awaits_result(self) -> bool:
        """True when the agent itself executes (`connector: callback`) and should call report_result."""
        return self.approved and self.mode == "live" and self.execution.status == "skipped"

    @property
    def refusal_reason(self) -> str:
        """Why it was refused: the rejecter's words, else the policy's reason."""
        return self.decision_reason or self.reason or self.status
