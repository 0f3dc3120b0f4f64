"""Decisions through the flow layer: authorization, quorum, self-approval, refusals audited, atomicity."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from bot.errors import InvalidTransition, StaleView
from bot.flow import decide
from bot.flow.context import Services
from bot.flow.decide import Refused
from bot.store import audit, due
from bot.store.db import session_scope

BIG = {"to": "bob@example.com", "amount": 5000}


def _events(svc: Services, pid: str) -> list[tuple[str, str | None, str | None]]:
    with session_scope(svc.engine) as s:
        return [(e.action, e.actor, e.after) for e in audit.for_proposal(session=s, proposal_id=pid)]


def test_listed_approver_approves_and_execution_is_queued(svc: Services, submit: Callable) -> None:
    p = submit()
    out = decide.approve(svc, proposal_id=p.id, user="U0ALICE")
    assert out.proposal.status == "approved"
    assert out.proposal.decided_by == "U0ALICE"
    assert out.proposal.execution.status == "queued"
    assert [a.user for a in out.proposal.approvals] == ["U0ALICE"]
    with session_scope(svc.engine) as s:
        kinds = [w.kind for w in due.for_proposal(session=s, proposal_id=p.id)]
    assert "execute" in kinds
    assert "slack_update" in kinds


def test_outsider_is_refused_and_the_attempt_is_audited(svc: Services, submit: Callable) -> None:
    p = submit()
    with pytest.raises(Refused) as err:
        decide.approve(svc, proposal_id=p.id, user="U0MALLORY")
    assert "S0LEADS" in err.value.details["deciders"]
    assert "U0ALICE" in err.value.details["deciders"]
    assert ("refused", "U0MALLORY", "pending") in _events(svc, p.id)


def test_self_approval_is_refused_unless_allowed(svc: Services, submit: Callable) -> None:
    p = submit(requested_by="U0ALICE")
    with pytest.raises(Refused, match="self-approval"):
        decide.approve(svc, proposal_id=p.id, user="U0ALICE")
    assert decide.approve(svc, proposal_id=p.id, user="U0BOB").proposal.status == "approved"


def test_quorum_needs_distinct_approvers(svc: Services, submit: Callable) -> None:
    p = submit(payload=BIG)
    first = decide.approve(svc, proposal_id=p.id, user="U0ALICE")
    again = decide.approve(svc, proposal_id=p.id, user="U0ALICE")
    assert (first.message, first.proposal.status) == ("1 of 2 approvals", "pending")
    assert again.message == "You have already approved this version"
    assert len(again.proposal.approvals) == 1
    done = decide.approve(svc, proposal_id=p.id, user="U0BOB")
    assert done.proposal.status == "approved"
    assert {a.user for a in done.proposal.approvals} == {"U0ALICE", "U0BOB"}


def test_one_rejection_rejects_and_needs_a_reason(svc: Services, submit: Callable) -> None:
    p = submit(payload=BIG)
    decide.approve(svc, proposal_id=p.id, user="U0ALICE")
    with pytest.raises(Exception, match="reason is required"):
        decide.reject(svc, proposal_id=p.id, user="U0BOB", reason="  ")
    out = decide.reject(svc, proposal_id=p.id, user="U0BOB", reason="wrong account")
    assert (out.proposal.status, out.proposal.decision_reason) == ("rejected", "wrong account")
    assert out.proposal.execution.status == "none"


def test_decided_proposal_refuses_later_clicks(svc: Services, submit: Callable) -> None:
    p = submit()
    decide.approve(svc, proposal_id=p.id, user="U0ALICE")
    with pytest.raises(InvalidTransition, match="already approved by U0ALICE"):
        decide.reject(svc, proposal_id=p.id, user="U0BOB", reason="too late")


def test_stale_version_is_refused(svc: Services, submit: Callable) -> None:
    p = submit()
    with pytest.raises(StaleView):
        decide.approve(svc, proposal_id=p.id, user="U0ALICE", version=p.version + 1)


def test_payload_with_problems_cannot_be_approved(svc: Services, submit: Callable) -> None:
    p = submit(payload={"amount": 50})
    with pytest.raises(Refused, match="fix them with Edit"):
        decide.approve(svc, proposal_id=p.id, user="U0ALICE")


def test_fifty_simultaneous_clicks_give_exactly_one_decision(svc: Services, submit: Callable) -> None:
    p = submit(payload={"to": "a@example.com", "amount": 500})
    barrier, outcomes = threading.Barrier(50), []
    users = ["U0ALICE", "U0BOB", "U0CAROL"]

    def click(i: int) -> None:
        barrier.wait()
        try:
            if i % 2:
                decide.approve(svc, proposal_id=p.id, user=users[i % 3])
            else:
                decide.reject(svc, proposal_id=p.id, user=users[i % 3], reason=f"no {i}")
            outcomes.append("won")
        except InvalidTransition:
            outcomes.append("too late")

    threads = [threading.Thread(target=click, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    decisions = [e for e in _events(svc, p.id) if e[0] == "decision"]
    assert outcomes.count("won") == 1
    assert outcomes.count("too late") == 49
    assert len(decisions) == 1
    with session_scope(svc.engine) as s:
        executions = due.for_proposal(session=s, proposal_id=p.id, kind="execute")
    assert len(executions) == (1 if decisions[0][2] == "approved" else 0)
