"""Route a proposal: the first matching rule decides; anything unevaluable falls back to a human."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.enums import Route
from bot.policy.cel import activation as cel_activation
from bot.policy.cel import describe, run
from bot.policy.models import ActionPolicy, Rule, WorkflowPolicy

NO_MATCH = "no rule matched: needs approval"


@dataclass(frozen=True)
class RouteDecision:
    """What the policy decided for one proposal, and why."""

    route: Route
    reason: str
    rule_index: int | None
    required_approvals: int
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RuleOutcome:
    """One rule's result for one proposal: matched, or not, or an evaluation error."""

    index: int
    rule: Rule
    matched: bool
    error: str | None = None


def evaluate(
    workflow: WorkflowPolicy, action: ActionPolicy, *, payload: Any, context: Mapping[str, Any] | None = None
) -> RouteDecision:
    """Route `payload` (any JSON) through the action's rules; never raises on payload content."""
    outcomes: list[RuleOutcome] = []
    for outcome in _outcomes(workflow, action, payload, context or {}):
        outcomes.append(outcome)
        if outcome.matched:
            break
    return decide(action, outcomes)


def explain_rules(
    workflow: WorkflowPolicy, action: ActionPolicy, *, payload: Any, context: Mapping[str, Any] | None = None
) -> list[RuleOutcome]:
    """Every rule's outcome, including those after the first match (for `policy explain`)."""
    return list(_outcomes(workflow, action, payload, context or {}))


def decide(action: ActionPolicy, outcomes: list[RuleOutcome]) -> RouteDecision:
    """The decision from rule outcomes in order: first match wins, an errored rule blocks `auto`."""
    default = action.approval.required_approvals
    errors = [f"rule {o.index} ({' '.join(o.rule.when.split())}): {o.error}" for o in outcomes if o.error]
    failed = [o.index for o in outcomes if o.error]
    match = next((o for o in outcomes if o.matched), None)
    if match is None:
        reason = NO_MATCH if not failed else f"{NO_MATCH} ({_rules(failed)} could not be evaluated)"
        return RouteDecision(Route.APPROVE, reason, None, default, errors)
    rule = match.rule
    if rule.route == "auto" and failed:
        # Whatever the failed rule was meant to catch, it was not checked: a human must look.
        reason = (
            f"needs approval: {_rules(failed)} could not be evaluated, "
            f"so rule {match.index} ({rule.reason}) may not auto-approve"
        )
        return RouteDecision(Route.APPROVE, reason, match.index, default, errors)
    required = rule.required_approvals if rule.required_approvals is not None else default
    return RouteDecision(rule.route, rule.reason, match.index, required, errors)


def _rules(indexes: list[int]) -> str:
    return ("rule " if len(indexes) == 1 else "rules ") + ", ".join(str(i) for i in indexes)


def _outcomes(
    workflow: WorkflowPolicy, action: ActionPolicy, payload: Any, context: Mapping[str, Any]
) -> Iterator[RuleOutcome]:
    if not action.rules:
        return
    variables = {**context, "workflow": workflow.name, "action": action.name}
    names = {name for rule in action.rules for name in rule.condition.names}
    try:
        values = cel_activation(payload, variables, names)
    except Exception as exc:  # noqa: BLE001 - a payload CEL cannot represent makes every rule unevaluable
        problem = f"payload cannot be evaluated: {describe(exc)}"
        for index, rule in enumerate(action.rules):
            yield RuleOutcome(index, rule, False, problem)
        return
    for index, rule in enumerate(action.rules):
        matched, error = run(rule.condition, values)
        yield RuleOutcome(index, rule, matched, error)
