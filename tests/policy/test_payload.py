"""Schema problems: every error, sorted by path, located at the field."""

from __future__ import annotations

from pathlib import Path

from bot.policy import ActionPolicy, Problem, load_policies, validate_payload
from tests.policy.helpers import SHIPPED, VALID, replaced, write


def _refund(tmp_path: Path, text: str = VALID) -> ActionPolicy:
    write(tmp_path, "demo.yaml", text)
    return load_policies(tmp_path).workflow("demo").action("refund")


def test_valid_payload_has_no_problems(tmp_path: Path) -> None:
    assert validate_payload(_refund(tmp_path), {"amount": 5, "items": [{"sku": "A1"}]}) == []


def test_all_problems_sorted_by_path(tmp_path: Path) -> None:
    payload = {"amount": "5", "email": 3, "items": [{"sku": 1}, {"sku": "ok"}] + [{"sku": 2}] * 9}
    problems = validate_payload(_refund(tmp_path), payload)
    assert [p.path for p in problems] == [
        "amount",
        "email",
        "items.0.sku",
        "items.2.sku",
        "items.3.sku",
        "items.4.sku",
        "items.5.sku",
        "items.6.sku",
        "items.7.sku",
        "items.8.sku",
        "items.9.sku",
        "items.10.sku",
    ]
    assert problems[0] == Problem("amount", "amount must be a number")


def test_missing_required_field_points_at_the_field(tmp_path: Path) -> None:
    assert validate_payload(_refund(tmp_path), {}) == [Problem("amount", "amount is missing")]


def test_root_problems_have_an_empty_path(tmp_path: Path) -> None:
    assert validate_payload(_refund(tmp_path), ["not", "an", "object"]) == [Problem("", "payload must be an object")]


def test_formats_are_checked() -> None:
    act = load_policies(SHIPPED).workflow("support-replies").action("send_reply")
    problems = validate_payload(act, {"to": "not an address", "subject": "s", "body": "b"})
    assert problems == [Problem("to", "To must be an email address")]


def test_extra_keys_and_enums() -> None:
    act = load_policies(SHIPPED).workflow("refunds").action("issue_refund")
    problems = validate_payload(
        act, {"order_id": "ORD-1", "amount": 1, "currency": "BTC", "reason": "damaged", "tip": 1}
    )
    assert [p.path for p in problems] == ["", "currency", "order_id"]
    assert problems[0].message == "tip is not a field this action takes"


def test_huge_values_give_short_messages(tmp_path: Path) -> None:
    problems = validate_payload(_refund(tmp_path), {"amount": "9" * 1_000_000})
    assert problems == [Problem("amount", "amount must be a number")]  # the value is never quoted


def test_unresolvable_ref_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    text = replaced("amount: {type: number}", "amount: {$ref: 'https://example.invalid/amount.json'}")
    problems = validate_payload(_refund(tmp_path, text), {"amount": 5})
    assert len(problems) == 1
    assert problems[0].path == ""
    assert problems[0].message.startswith("schema could not be applied")
