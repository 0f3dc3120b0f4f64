"""Edits: validated against the schema, re-evaluated against the policy, stored with their diff."""

from __future__ import annotations

from typing import Any

from bot.enums import ProposalStatus, Route
from bot.errors import CountersignError
from bot.flow import effects
from bot.flow.context import Services
from bot.flow.decide import Outcome, Refused, _load, _outcome, _refusal
from bot.flow.diff import json_diff
from bot.flow.payload_problems import payload_problems
from bot.policy import evaluate
from bot.store import audit, proposals
from bot.store.db import session_scope


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
    now = svc.clock.now()
    with session_scope(svc.engine) as s:
        p = _load(s, proposal_id)
        refusal = _refusal(svc, p, user, version, verb="edit")
        if refusal is None:
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
                refusal = Refused(f"this edit is refused by policy: {decision.reason}", deciders=())
        if refusal is not None:
            audit.refused(
                session=s, actor=user, attempt="edit", error=refusal, at=now, proposal_id=p.id, state=p.status
            )
        else:
            _apply(s, p, user, payload, decision, now)
    if refusal is not None:
        raise refusal
    svc.kick()
    return _outcome(svc, proposal_id, f"Edited by {user}")


def _apply(s: Any, p: Any, user: str, payload: Any, decision: Any, now: Any) -> None:
    step = json_diff(p.payload, payload)
    required = max(p.required_approvals, decision.required_approvals)
    reason = decision.reason if decision.required_approvals > p.required_approvals else p.reason
    proposals.set_fields(
        session=s,
        proposal_id=p.id,
        values={
            "payload": payload,
            "edited": True,
            "diff": json_diff(p.original_payload, payload),
            "version": p.version + 1,
            "problems": [],
            "required_approvals": required,
            "reason": reason,
        },
    )
    fresh = proposals.get(session=s, proposal_id=p.id)
    effects.queue_update(s, fresh, now)
    effects.queue_note(s, fresh, "edited", now, user=user, diff=step, required=required)
    audit.append(
        session=s,
        actor=user,
        action="edit",
        at=now,
        proposal_id=p.id,
        before=ProposalStatus.PENDING,
        after=ProposalStatus.PENDING,
        data={"diff": step, "version": p.version + 1, "required_approvals": required},
    )
