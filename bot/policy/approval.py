"""Who approves an action, where, and how reminders, escalations and expiry unfold."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from bot.policy.durations import Duration
from bot.words import plural

STRICT = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)


def _slack_id(pattern: str, kind: str, example: str) -> AfterValidator:
    regex = re.compile(pattern)

    def check(value: str) -> str:
        if not regex.match(value):
            raise ValueError(f"expected a Slack {kind} id like {example}, got {value!r}")
        return value

    return AfterValidator(check)


UserId = Annotated[str, _slack_id(r"^[UW][A-Z0-9]{2,}$", "user", "U012ABCDEF")]
GroupId = Annotated[str, _slack_id(r"^S[A-Z0-9]{2,}$", "user group", "S012ABCDEF")]
ChannelId = Annotated[str, _slack_id(r"^[CG][A-Z0-9]{2,}$", "channel", "C012ABCDEF")]
MentionId = Annotated[str, _slack_id(r"^[UWS][A-Z0-9]{2,}$", "user or user group", "U012ABCDEF or S012ABCDEF")]


class EscalationStep(BaseModel):
    """After `after` without a decision, mention `mention` (a user or a user group) in the thread."""

    model_config = STRICT

    after: Duration
    mention: MentionId


class Approvers(BaseModel):
    """The people allowed to decide: listed users and members of listed user groups."""

    model_config = STRICT

    users: list[UserId] = []
    usergroups: list[GroupId] = []


class ApprovalPolicy(BaseModel):
    """How a proposal needing a human is routed, chased and eventually expired."""

    model_config = STRICT

    channel: ChannelId
    approvers: Approvers = Approvers()
    required_approvals: int = Field(1, ge=1)
    allow_self_approval: bool = False
    remind_after: Duration | None = None
    reminder_cap: int = Field(3, ge=0)
    escalate: list[EscalationStep] = []
    expire_after: Duration = timedelta(hours=24)

    @property
    def users(self) -> list[str]:
        """Approver user ids."""
        return self.approvers.users

    @property
    def usergroups(self) -> list[str]:
        """Approver user group ids (membership is resolved in Slack at decision time)."""
        return self.approvers.usergroups

    def max_quorum(self) -> int | None:
        """How many distinct approvers can exist, or None when a user group makes it open-ended."""
        return None if self.usergroups else len(set(self.users))


def timing_problems(approval: ApprovalPolicy) -> list[tuple[tuple[Any, ...], str]]:
    """Ordering mistakes between remind_after, escalate steps and expire_after, as (loc, message)."""
    found: list[tuple[tuple[Any, ...], str]] = []
    for index in range(1, len(approval.escalate)):
        if approval.escalate[index].after <= approval.escalate[index - 1].after:
            found.append((("escalate", index, "after"), "escalation steps must have strictly increasing `after`"))
    expire = approval.expire_after
    for index, step in enumerate(approval.escalate):
        if step.after >= expire:
            found.append((("escalate", index, "after"), "escalation would come after the proposal expires"))
    if approval.remind_after is not None and approval.remind_after >= expire:
        found.append((("remind_after",), "reminder would come after the proposal expires"))
    return found


def quorum_problem(required: int, approval: ApprovalPolicy) -> str | None:
    """Why `required` approvals can never be reached with these approvers, if so."""
    most = approval.max_quorum()
    if most is not None and 0 < most < required:  # no approvers at all is reported once, by the caller
        listed = f"{plural(most, 'approver')} {'is' if most == 1 else 'are'} listed"
        return f"needs {required} approvals but only {listed} and no user group"
    return None
