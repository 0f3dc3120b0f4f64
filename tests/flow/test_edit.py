"""Edits: schema-checked, re-evaluated by policy (never bypassing a rule), stored with their diff."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.flow import decide
from bot.flow.context import Services
from bot.flow.decide import Refused
from bot.flow.edit import InvalidEdit, edit


def test_edit_then_approve_records_edited_with_diff(svc: Services, submit: Callable) -> None:
    p = submit()
    new = {**p.payload, "amount": 150, "memo": None}
    new.pop("memo")
    out = edit(svc, proposal_id=p.id, user="U0BOB", payload=new, version=p.version)
    assert out.proposal.version == 2
    assert out.proposal.edited
    assert {d["path"]: d["change"] for d in out.proposal.diff} == {"amount": "changed", "memo": "removed"}
    done = decide.approve(svc, proposal_id=p.id, user="U0ALICE", version=2)
    assert done.proposal.status == "approved"
    assert done.proposal.edited
    assert done.proposal.payload["amount"] == 150
    assert done.proposal.original_payload["amount"] == 120


def test_invalid_edit_reports_each_field(svc: Services, submit: Callable) -> None:
    p = submit()
    with pytest.raises(InvalidEdit) as err:
        edit(svc, proposal_id=p.id, user="U0BOB", payload={"amount": "lots"}, version=p.version)
    assert set(err.value.problems) == {"amount", "to"}


def test_edit_over_threshold_needs_the_larger_quorum(svc: Services, submit: Callable) -> None:
    p = submit()
    out = edit(svc, proposal_id=p.id, user="U0BOB", payload={**p.payload, "amount": 2000}, version=p.version)
    assert out.proposal.required_approvals == 2
    assert out.proposal.reason == "over 1000"
    assert decide.approve(svc, proposal_id=p.id, user="U0ALICE").proposal.status == "pending"


def test_edit_hitting_a_deny_rule_is_refused_with_its_reason(svc: Services, submit: Callable) -> None:
    p = submit()
    with pytest.raises(Refused, match="negative amount"):
        edit(svc, proposal_id=p.id, user="U0BOB", payload={**p.payload, "amount": -1}, version=p.version)


def test_approvals_of_an_older_version_do_not_count(svc: Services, submit: Callable) -> None:
    p = submit(payload={"to": "a@example.com", "amount": 5000})
    decide.approve(svc, proposal_id=p.id, user="U0ALICE")
    edit(svc, proposal_id=p.id, user="U0CAROL", payload={"to": "a@example.com", "amount": 4000}, version=1)
    out = decide.approve(svc, proposal_id=p.id, user="U0BOB")
    assert out.message == "1 of 2 approvals"
    assert out.proposal.status == "pending"


def test_edit_that_fixes_problems_unlocks_approval(svc: Services, submit: Callable) -> None:
    p = submit(payload={"amount": 40})
    assert p.problems
    out = edit(svc, proposal_id=p.id, user="U0BOB", payload={"to": "x@example.com", "amount": 40}, version=1)
    assert out.proposal.problems == []
    assert decide.approve(svc, proposal_id=p.id, user="U0ALICE").proposal.status == "approved"
