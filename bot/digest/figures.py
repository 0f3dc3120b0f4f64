"""The counted figures of one workflow over one window, and the rates derived from them.

Rates of people's decisions are shares of the proposals people closed (approved, with or without edits,
rejected, expired or cancelled), so the five shares add up to 100%. None means "nothing to measure".
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class Ranked(BaseModel):
    """A text and how often it occurred (top errors, top rejection reasons)."""

    text: str
    count: int


class ActionTally(BaseModel):
    """Per action: volume, human decisions, unedited approvals, and which policy rule routed each proposal."""

    total: int = 0
    decided: int = 0
    approved_unedited: int = 0
    rules: dict[int, int] = Field(default_factory=dict)


def ratio(part: int, whole: int) -> float | None:
    """part / whole, or None when there is nothing to divide."""
    return part / whole if whole else None


class Stats(BaseModel):
    """Counts for proposals created in [start, end); see bot.digest.stats.collect."""

    start: datetime
    end: datetime
    total: int = 0
    by_route: dict[str, int] = Field(default_factory=dict)
    by_kind: dict[str, int] = Field(default_factory=dict)
    approved_unedited: int = 0
    approved_edited: int = 0
    rejected: int = 0
    expired: int = 0
    cancelled: int = 0
    pending: int = 0
    handoffs_taken: int = 0
    human_routed: int = 0
    escalations: int = 0
    escalated: int = 0
    exec_succeeded: int = 0
    exec_failed: int = 0
    timed: int = 0
    p50_seconds: float | None = None
    p90_seconds: float | None = None
    shadow_agree: int = 0
    shadow_edited: int = 0
    shadow_rejected: int = 0
    shadow_expired: int = 0
    top_errors: list[Ranked] = Field(default_factory=list)
    top_reasons: list[Ranked] = Field(default_factory=list)
    actions: dict[str, ActionTally] = Field(default_factory=dict)
    daily: list[dict[str, int]] = Field(default_factory=list)

    @property
    def closed(self) -> int:
        """Proposals people closed (the denominator of the decision rates)."""
        return self.approved_unedited + self.approved_edited + self.rejected + self.expired + self.cancelled

    @property
    def shadow_decided(self) -> int:
        """Shadow proposals people decided (the denominator of shadow agreement)."""
        return self.shadow_agree + self.shadow_edited + self.shadow_rejected

    def metric(self, name: str) -> float | None:
        """A success-criterion metric by name (see bot.policy.models.Metric); None when unmeasurable."""
        return _METRICS[name](self)

    def rates(self) -> dict[str, float | None]:
        """Every metric, by name."""
        return {name: fn(self) for name, fn in _METRICS.items()}


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60


_METRICS = {
    "approval_rate": lambda s: ratio(s.approved_unedited + s.approved_edited, s.closed),
    "unedited_approval_rate": lambda s: ratio(s.approved_unedited, s.closed),
    "edit_rate": lambda s: ratio(s.approved_edited, s.closed),
    "rejection_rate": lambda s: ratio(s.rejected, s.closed),
    "expiry_rate": lambda s: ratio(s.expired, s.closed),
    "cancel_rate": lambda s: ratio(s.cancelled, s.closed),
    "auto_rate": lambda s: ratio(s.by_route.get("auto", 0), s.by_kind.get("proposal", 0)),
    "p50_minutes_to_decision": lambda s: _minutes(s.p50_seconds),
    "p90_minutes_to_decision": lambda s: _minutes(s.p90_seconds),
    "execution_failure_rate": lambda s: ratio(s.exec_failed, s.exec_succeeded + s.exec_failed),
    "escalation_rate": lambda s: ratio(s.escalated, s.human_routed),
    "shadow_agreement_rate": lambda s: ratio(s.shadow_agree, s.shadow_decided),
}
