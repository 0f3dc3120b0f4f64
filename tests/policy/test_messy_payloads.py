"""Whatever JSON an agent sends, routing and schema checks answer instead of raising."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.policy import PolicySet, evaluate, load_policies, validate_payload
from tests.policy.helpers import SHIPPED

POLICIES: PolicySet = load_policies(SHIPPED)
ACTIONS = [(wf, act) for wf in POLICIES.workflows.values() for act in wf.actions.values()]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=25,
)
payloads = json_values | st.fixed_dictionaries(
    {},
    optional=dict.fromkeys(
        ("to", "subject", "body", "amount", "reason", "email", "stage", "current_stage"), json_values
    ),
)


def _check(payload: Any) -> None:
    for wf, act in ACTIONS:
        decision = evaluate(wf, act, payload=payload, context={"requested_by": "U0X", "summary": "\x00"})
        assert decision.route in {"auto", "approve", "deny"}
        if decision.errors:
            assert decision.route != "auto"  # an unevaluable rule never leads to automatic execution
        problems = validate_payload(act, payload)
        assert all(isinstance(p.path, str) and isinstance(p.message, str) for p in problems)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payloads)
def test_any_json_payload_is_routed_without_raising(payload: Any) -> None:
    _check(payload)


def _nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"a": [value]}
    return value


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        "",
        0,
        True,
        "just a string",
        [1, 2, 3],
        {"amount": None, "to": None, "body": None, "email": None},
        {"amount": "600", "reason": "damaged", "to": 42, "body": ["x"], "email": {"a": 1}},
        {"amount": 10**30},
        {"amount": -(10**400)},
        {"amount": float("nan")},
        {"amount": float("inf")},
        {"to": "a\x00@example.com", "subject": "\u202eevil\u202c", "body": "\x00" * 1000},
        {"to": "\ud800@example.com", "subject": "x", "body": "lone surrogate"},
        {"to": "qa@example.com", "subject": "s", "body": "x" * 2_000_000},
        {"amount": 5, "reason": "damaged", "extra": _nested(50)},
        _nested(5000),
        {"amount": 5, "reason": "damaged", "order_id": "ORD-1234", "currency": "USD", "deep": _nested(5000)},
    ],
)
def test_messy_payloads(payload: Any) -> None:
    _check(payload)


def test_deep_payload_is_never_automatic() -> None:
    wf = POLICIES.workflow("refunds")
    payload = {"order_id": "ORD-1234", "amount": 5, "currency": "USD", "reason": "damaged", "deep": _nested(5000)}
    decision = evaluate(wf, wf.action("issue_refund"), payload=payload)
    assert decision.route == "approve"
    assert decision.errors
    assert "nests too deeply" in decision.errors[0]


def test_huge_integers_compare_as_numbers() -> None:
    wf = POLICIES.workflow("refunds")
    payload = json.loads('{"order_id": "ORD-1234", "amount": 1' + "0" * 400 + ', "currency": "USD", "reason": "other"}')
    decision = evaluate(wf, wf.action("issue_refund"), payload=payload)
    assert (decision.route, decision.rule_index, decision.errors) == ("approve", 1, [])


def test_numbers_as_strings_go_to_a_human_and_are_flagged() -> None:
    wf = POLICIES.workflow("refunds")
    act = wf.action("issue_refund")
    payload = {"order_id": "ORD-1234", "amount": "5", "currency": "USD", "reason": "damaged"}
    assert evaluate(wf, act, payload=payload).route == "approve"
    assert [p.path for p in validate_payload(act, payload)] == ["amount"]


def test_rule_errors_do_not_echo_payload_values() -> None:
    wf = POLICIES.workflow("support-replies")
    secret = "customer-secret-value"
    decision = evaluate(wf, wf.action("send_reply"), payload={"to": {"x": secret}, "body": [secret]})
    assert decision.errors
    assert not any(secret in error for error in decision.errors)
