"""Everything a proposal message is rendered from, gathered once by the notifier (pure data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from bot.flow.context import Services
from bot.flow.lookup import Surroundings
from bot.flow.public import ProposalPublic
from bot.policy import ActionPolicy, ApprovalPolicy


@dataclass(frozen=True)
class Card:
    """A proposal plus its policy facts; `note` is trusted mrkdwn shown on top (e.g. a fallback notice)."""

    view: ProposalPublic
    approval: ApprovalPolicy
    owner: str
    around: Surroundings
    zone: ZoneInfo
    display: list[str] = field(default_factory=list)
    sensitive: list[str] = field(default_factory=list)
    note: str | None = None

    @property
    def shadow(self) -> bool:
        """True for shadow-mode workflows (nothing executes)."""
        return self.view.mode == "shadow"

    @property
    def handoff(self) -> bool:
        """True for a case handed to humans rather than an action to approve."""
        return self.view.kind == "handoff"


def action_policy(svc: Services, view: ProposalPublic) -> ActionPolicy | None:
    """The action's policy; None for handoffs, which have no action."""
    if view.kind == "handoff":
        return None
    return svc.policies.workflow(view.workflow).action(view.action)


def build_card(svc: Services, view: ProposalPublic, around: Surroundings, note: str | None = None) -> Card:
    """Gather the policy facts a message shows."""
    wf = svc.policies.workflow(view.workflow)
    act = action_policy(svc, view)
    approval = act.approval if act else wf.handoff_policy()
    return Card(
        view=view,
        approval=approval,
        owner=wf.owner,
        around=around,
        zone=svc.settings.zone,
        display=list(act.display) if act else [],
        sensitive=list(act.sensitive) if act else [],
        note=note,
    )
