"""Routing: first match wins, the default is a human, errors never lead to automatic execution."""

from __future__ import annotations

from pathlib import Path

import cel
import pytest

from bot.policy import NO_MATCH, RouteDecision, WorkflowPolicy, evaluate, explain_rules, load_policies
from tests.policy.helpers import SHIPPED, VALID, replaced, write


def _demo(tmp_path: Path, text: str = VALID) -> WorkflowPolicy:
    write(tmp_path, "demo.yaml", text)
    return load_policies(tmp_path).workflow("demo")


def _route(workflow: WorkflowPolicy, payload: object, **context: object) -> RouteDecision:
    return evaluate(workflow, workflow.action("refund"), payload=payload, context=context)


def test_each_route_and_first_match(tmp_path: Path) -> None:
    wf = _demo(tmp_path)
    assert _route(wf, {"amount": -3}) == RouteDecision("deny", "not positive", 0, 1, [])
    assert _route(wf, {"amount": 900}) == RouteDecision("approve", "over 500", 1, 2, [])
    assert _route(wf, {"amount": 5}) == RouteDecision("auto", "small", 2, 1, [])
    # -3 also satisfies rule 2 (<= 20): the earlier deny wins.
    assert _route(wf, {"amount": -3}).rule_index == 0


def test_no_match_needs_approval_with_the_actions_quorum(tmp_path: Path) -> None:
    decision = _route(_demo(tmp_path), {"amount": 100})
    assert decision == RouteDecision("approve", NO_MATCH, None, 1, [])
    assert NO_MATCH == "no rule matched: needs approval"


def test_action_without_rules_always_needs_approval(tmp_path: Path) -> None:
    text = VALID.split("    rules:")[0].replace("required_approvals: 1", "required_approvals: 2")
    assert _route(_demo(tmp_path, text), {"amount": 1}) == RouteDecision("approve", NO_MATCH, None, 2, [])


def test_deny_and_auto_report_the_actions_required_approvals(tmp_path: Path) -> None:
    wf = _demo(tmp_path, replaced("required_approvals: 1", "required_approvals: 2"))
    assert _route(wf, {"amount": -1}).required_approvals == 2
    assert _route(wf, {"amount": 1}).required_approvals == 2


def test_rule_override_of_required_approvals(tmp_path: Path) -> None:
    wf = _demo(tmp_path, replaced("required_approvals: 2, reason", "required_approvals: 3, reason"))
    assert _route(wf, {"amount": 501}).required_approvals == 3
    assert _route(wf, {"amount": 499}).required_approvals == 1


def test_an_erroring_rule_does_not_match_and_blocks_auto(tmp_path: Path) -> None:
    text = replaced('"payload.amount <= 0"', '"payload.customer.vip"')
    decision = _route(_demo(tmp_path, text), {"amount": 5})
    assert decision.route == "approve"
    assert decision.rule_index == 2
    assert decision.reason == "needs approval: rule 0 could not be evaluated, so rule 2 (small) may not auto-approve"
    assert decision.errors == ["rule 0 (payload.customer.vip): no such member in mapping: 'customer'"]


def test_an_erroring_rule_does_not_change_deny_or_approve(tmp_path: Path) -> None:
    text = replaced('"payload.amount <= 0"', '"payload.customer.vip"')
    text = replaced('"payload.amount > 500"', '"payload.amount > 500 || payload.amount < 0"', text)
    wf = _demo(tmp_path, text)
    decision = _route(wf, {"amount": 900})
    assert (decision.route, decision.rule_index, decision.required_approvals) == ("approve", 1, 2)
    assert len(decision.errors) == 1


def test_errors_with_no_match_say_which_rules_failed(tmp_path: Path) -> None:
    decision = _route(_demo(tmp_path), {"amount": "100"})
    assert decision.route == "approve"
    assert decision.rule_index is None
    assert decision.reason == f"{NO_MATCH} (rules 0, 1, 2 could not be evaluated)"
    assert decision.errors[1] == (
        "rule 1 (payload.amount > 500): "
        "no matching overload for the operand types (a string where a number is expected, say)"
    )


def test_non_boolean_result_is_an_error(tmp_path: Path) -> None:
    wf = _demo(tmp_path, replaced('"payload.amount <= 20"', '"payload.amount"'))
    decision = _route(wf, {"amount": 7})
    assert decision.route == "approve"
    assert decision.errors == ["rule 2 (payload.amount): result is int, not a boolean"]
    assert _route(wf, {"amount": None}).errors[-1] == "rule 2 (payload.amount): result is null, not a boolean"


@pytest.mark.parametrize(
    ("when", "context", "matched"),
    [
        ("requested_by == 'ana'", {"requested_by": "ana"}, True),
        ("agent == 'refund-bot'", {"agent": "refund-bot"}, True),
        ("summary.contains('urgent')", {"summary": "urgent refund"}, True),
        ("workflow == 'demo' && action == 'refund'", {}, True),
        ("requested_by == '' && agent == '' && summary == ''", {}, True),  # missing context is ""
        ("requested_by == ''", {"requested_by": None}, True),
    ],
)
def test_context_variables(tmp_path: Path, when: str, context: dict[str, object], matched: bool) -> None:
    wf = _demo(tmp_path, replaced('"payload.amount <= 20"', f'"{when}"'))
    decision = _route(wf, {"amount": 100}, **context)
    assert (decision.rule_index == 2) is matched
    assert decision.errors == []


def test_explain_rules_evaluates_every_rule(tmp_path: Path) -> None:
    wf = _demo(tmp_path)
    outcomes = explain_rules(wf, wf.action("refund"), payload={"amount": -1})
    assert [(o.index, o.matched, o.error) for o in outcomes] == [(0, True, None), (1, False, None), (2, True, None)]


def test_shipped_refund_rules() -> None:
    wf = load_policies(SHIPPED).workflow("refunds")
    act = wf.action("issue_refund")
    big = evaluate(wf, act, payload={"order_id": "ORD-1000", "amount": 600.5, "currency": "USD", "reason": "other"})
    assert (big.route, big.reason, big.required_approvals) == ("approve", "refund over $500", 2)
    small = evaluate(wf, act, payload={"order_id": "ORD-1000", "amount": 20, "currency": "USD", "reason": "damaged"})
    assert small.route == "auto"


def test_conditions_are_compiled_once_at_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wf = _demo(tmp_path)
    programs = [rule.condition.program for rule in wf.action("refund").rules]

    def refuse(*args: object) -> None:
        raise AssertionError("CEL compiled during evaluation")

    monkeypatch.setattr(cel, "compile", refuse)
    assert _route(wf, {"amount": 900}).rule_index == 1
    assert [rule.condition.program for rule in wf.action("refund").rules] == programs
