"""Edits: validated against the schema, re-evaluated against the policy, stored with their diff."""

from __future__ import annotations

from typing import Any

from bot.enums import ProposalStatus, Route
from bot.errors import CountersignError
from bot.flow import effects
from bot.flow.change import Change, changing
from bot.flow.context import Services
from bot.flow.decide import Outcome, Refused, _outcome, _refusal
from bot.flow.diff import json_diff
from bot.flow.payload_problems import payload_problems
from bot.policy import RouteDecision, evaluate


class InvalidEdit(CountersignError):
    """The edited payload does not satisfy the action's schema; `problems` maps paths to messages."""

    status_code = 422

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__(
            "the edited payload is invalid: " + "; ".join(f"{k or 'payload'}: {v}" for k, v in problems.items())
        )
        self.problems = problems


def edit(svc: Services, *, proposal_id: str, user: str, payload: Any, version: int | None) -> Outcome:
    """Replace the payload. Editing never bypasses a rule: a deny is refused, a bigger quorum is kept."""
    with changing(svc, proposal_id) as c:
        p = c.p
        refusal = _refusal(svc, p, user, version, verb="edit")
        if refusal is not None:
            c.refuse(refusal, actor=user, attempt="edit")
        problems = payload_problems(svc, p.workflow, p.action, payload)
        if problems:
            raise InvalidEdit({x["path"]: x["message"] for x in problems})
        wf = svc.policies.workflow(p.workflow)
        decision = evaluate(
            wf,
            wf.action(p.action),
            payload=payload,
            context={"requested_by": p.requested_by or "", "agent": p.agent, "summary": p.summary},
        )
        if decision.route == Route.DENY:
            c.refuse(
                Refused(f"this edit is refused by policy: {decision.reason}", deciders=()), actor=user, attempt="edit"
            )
        _apply(c, user, payload, decision)
    return _outcome(svc, proposal_id, f"Edited by {user}")


def _apply(c: Change, user: str, payload: Any, decision: RouteDecision) -> None:
    p = c.p
    step = json_diff(p.payload, payload)
    required = max(p.required_approvals, decision.required_approvals)
    reason = decision.reason if decision.required_approvals > p.required_approvals else p.reason
    c.set(
        payload=payload,
        edited=True,
        diff=json_diff(p.original_payload, payload),
        version=p.version + 1,
        problems=[],
        required_approvals=required,
        reason=reason,
    )
    fresh = c.fresh()
    effects.queue_update(c.s, fresh, c.now)
    effects.queue_note(c.s, fresh, "edited", c.now, user=user, diff=step, required=required)
    data = {"diff": step, "version": fresh.version, "required_approvals": required}
    c.record(user, "edit", before=ProposalStatus.PENDING, after=ProposalStatus.PENDING, data=data)
