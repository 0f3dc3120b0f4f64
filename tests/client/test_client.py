"""Every client method, blocking and async, against the real service."""

from __future__ import annotations

import asyncio

from countersign import Proposal
from tests.factories import sweep
from tests.live import Human, Live, approve, reject

PAYOUT = {"to": "alice@example.com", "amount": 120, "memo": "October invoice"}


def test_propose_returns_the_typed_proposal_and_a_repeat_returns_the_same_one(live: Live) -> None:
    with live.client() as cs:
        p = cs.propose(
            "payouts",
            "send",
            "Pay Alice for October",
            PAYOUT,
            idempotency_key="oct-alice",
            requested_by="U0CAROL",
            links=[{"title": "Invoice", "url": "https://example.com/i/1"}],
        )
        again = cs.propose(
            "payouts",
            "send",
            "Pay Alice for October",
            PAYOUT,
            idempotency_key="oct-alice",
            requested_by="U0CAROL",
            links=[{"title": "Invoice", "url": "https://example.com/i/1"}],
        )
    assert isinstance(p, Proposal)
    assert p.status == "pending"
    assert not p.is_final
    assert not p.approved
    assert (p.workflow, p.action, p.payload, p.requested_by) == ("payouts", "send", PAYOUT, "U0CAROL")
    assert p.idempotency_key == "oct-alice"
    assert p.links[0]["title"] == "Invoice"
    assert again.id == p.id
    assert live.count() == 1


def test_propose_without_a_key_sends_a_fresh_one(live: Live) -> None:
    with live.client() as cs:
        first = cs.propose("payouts", "send", "Pay Alice", PAYOUT)
        second = cs.propose("payouts", "send", "Pay Alice", PAYOUT)
    assert first.idempotency_key
    assert second.idempotency_key
    assert first.idempotency_key != second.idempotency_key
    assert second.duplicate_of == first.id
    assert live.count() == 2


def test_auto_approved_is_final_at_once(live: Live) -> None:
    with live.client() as cs:
        p = cs.propose("payouts", "send", "Tiny payout", {"to": "bob@example.com", "amount": 5})
    assert p.status == "auto_approved"
    assert p.is_final
    assert p.approved
    assert p.execution.status == "queued"


def test_get_and_wait_see_a_human_decision(live: Live, human: Human) -> None:
    with live.client() as cs:
        p = cs.propose("payouts", "send", "Pay Alice", PAYOUT)
        human.then(approve("U0ALICE"))
        decided = cs.wait(p.id, poll=5)
        sweep(live.svc)  # the webhook connector runs
        got = cs.get(p.id)
    assert decided.status == "approved"
    assert decided.approved
    assert decided.decided_by == "U0ALICE"
    assert [a.user for a in decided.approvals] == ["U0ALICE"]
    assert got.execution.status == "succeeded"
    assert got.execution.attempts == 1


def test_wait_with_a_timeout_returns_the_pending_state(live: Live) -> None:
    with live.client() as cs:
        p = cs.propose("payouts", "send", "Pay Alice", PAYOUT)
        still = cs.wait(p.id, timeout=0.3, poll=0.1)
    assert still.status == "pending"
    assert still.id == p.id


def test_cancel_withdraws_a_pending_proposal(live: Live) -> None:
    with live.client() as cs:
        p = cs.propose("payouts", "send", "Pay Alice", PAYOUT)
        gone = cs.cancel(p.id)
        waited = cs.wait(p.id)
    assert gone.status == "cancelled"
    assert gone.decided_by == "agent:agent-1"
    assert waited.status == "cancelled"


def test_report_result_for_a_callback_action(live: Live, human: Human) -> None:
    with live.client() as cs:
        p = cs.propose("payouts", "note", "Leave a note", {"text": "hello"})
        human.then(approve("U0ALICE"))
        decided = cs.wait(p.id)
        assert decided.awaits_result
        done = cs.report_result(p.id, True, result={"note_id": 7})
        failed_one = cs.propose("payouts", "note", "Another note", {"text": "again"})
        human.then(approve("U0ALICE"))
        cs.wait(failed_one.id)
        failed = cs.report_result(failed_one.id, False, error="disk full")
    assert done.execution.status == "succeeded"
    assert done.execution.result == {"note_id": 7}
    assert failed.execution.status == "failed"
    assert failed.execution.error == "disk full"


def test_handoff_is_taken_by_a_person(live: Live, human: Human) -> None:
    from bot.flow import decide

    with live.client() as cs:
        h = cs.handoff("payouts", "Customer asks for a chargeback; I cannot handle it", {"ticket": 42})
        human.then(lambda svc, pid: decide.take(svc, proposal_id=pid, user="U0OWNER"))
        taken = cs.wait(h.id)
    assert h.kind == "handoff"
    assert h.status == "pending"
    assert taken.status == "taken"
    assert taken.decided_by == "U0OWNER"
    assert not taken.approved


def test_every_method_async(live: Live, human: Human) -> None:
    async def scenario() -> dict[str, Proposal]:
        async with live.aclient() as cs:
            out = {"first": await cs.propose("payouts", "send", "Pay Alice", PAYOUT, idempotency_key="k1")}
            out["repeat"] = await cs.propose("payouts", "send", "Pay Alice", PAYOUT, idempotency_key="k1")
            out["got"] = await cs.get(out["first"].id)
            out["timeout"] = await cs.wait(out["first"].id, timeout=0.2, poll=0.1)
            out["cancelled"] = await cs.cancel(out["first"].id)
            note = await cs.propose("payouts", "note", "Leave a note", {"text": "hi"})
            human.then(approve("U0ALICE"))
            out["approved"] = await cs.wait(note.id)
            out["reported"] = await cs.report_result(note.id, True, result="ok")
            rejected = await cs.propose("payouts", "send", "Pay Bob", {"to": "bob@example.com", "amount": 50})
            human.then(reject("wrong account"))
            out["rejected"] = await cs.wait(rejected.id)
            out["handoff"] = await cs.handoff("payouts", "Please look at this one")
            return out

    out = asyncio.run(scenario())
    assert out["repeat"].id == out["first"].id == out["got"].id
    assert out["timeout"].status == "pending"
    assert out["cancelled"].status == "cancelled"
    assert out["approved"].status == "approved"
    assert out["reported"].execution.status == "succeeded"
    assert out["rejected"].status == "rejected"
    assert out["rejected"].refusal_reason == "wrong account"
    assert out["handoff"].kind == "handoff"


def test_unknown_fields_from_a_newer_server_are_kept() -> None:
    p = Proposal.model_validate(
        {
            "id": "x",
            "workflow": "w",
            "action": "a",
            "status": "approved",
            "risk_score": 0.3,
            "execution": {"status": "skipped", "shiny": True},
        }
    )
    assert p.approved
    assert p.awaits_result
    assert p.model_extra == {"risk_score": 0.3}
