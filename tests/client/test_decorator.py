"""@requires_approval against the real service: every decision, edits, expiry, time-outs, callback reports."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from bot.app import create_app
from bot.fakeslack import BackgroundServer
from countersign import Cancelled, Expired, NotApproved, NotExecuted, Rejected, TimedOut, requires_approval
from countersign.errors import CountersignError
from tests.factories import add_agent, make_services, sweep, write_policies
from tests.live import Human, Live, approve, edit_and_approve, reject


def payout_fn(live: Live, calls: list[dict[str, object]], **opts: object) -> Callable[..., str]:
    @requires_approval(
        live.client(),
        workflow="payouts",
        action="send",
        summary=lambda to, amount, memo: f"Pay {amount} to {to}",
        **opts,
    )  # type: ignore[arg-type]
    def send(to: str, amount: float, memo: str = "") -> str:
        """Send a payout."""
        calls.append({"to": to, "amount": amount, "memo": memo})
        return f"sent {amount}"

    return send


def test_approved_runs_with_the_original_arguments(live: Live, human: Human) -> None:
    calls: list[dict[str, object]] = []
    send = payout_fn(live, calls)
    human.then(approve())
    assert send("alice@example.com", 120, memo="October") == "sent 120.0"
    assert calls == [{"to": "alice@example.com", "amount": 120.0, "memo": "October"}]
    (row,) = live.rows()
    assert row.summary == "Pay 120 to alice@example.com"
    assert row.payload == {"to": "alice@example.com", "amount": 120, "memo": "October"}


def test_edited_arguments_reach_the_function(live: Live, human: Human) -> None:
    calls: list[dict[str, object]] = []
    send = payout_fn(live, calls)
    human.then(edit_and_approve({"to": "alice@corp.example.com", "amount": 95.5, "memo": "October, less fees"}))
    assert send("alice@example.com", 120, memo="October") == "sent 95.5"
    assert calls == [{"to": "alice@corp.example.com", "amount": 95.5, "memo": "October, less fees"}]


def test_auto_approved_runs_at_once(live: Live) -> None:
    calls: list[dict[str, object]] = []
    assert payout_fn(live, calls)("bob@example.com", 5) == "sent 5.0"
    assert calls[0]["amount"] == 5.0


def test_rejected_raises_with_the_persons_reason(live: Live, human: Human) -> None:
    calls: list[dict[str, object]] = []
    send = payout_fn(live, calls)
    human.then(reject("wrong account", user="U0BOB"))
    with pytest.raises(Rejected) as err:
        send("alice@example.com", 120)
    assert err.value.reason == "wrong account"
    assert err.value.proposal.decided_by == "U0BOB"
    assert "rejected by U0BOB: wrong account" in str(err.value)
    assert calls == []


def test_denied_by_policy_raises_rejected_with_the_rules_reason(live: Live) -> None:
    calls: list[dict[str, object]] = []
    with pytest.raises(Rejected) as err:
        payout_fn(live, calls)("alice@example.com", -3)
    assert err.value.reason == "negative amount"
    assert err.value.proposal.status == "denied"
    assert "denied by policy" in err.value.message
    assert calls == []


def test_expiry_raises_expired_which_is_not_a_rejection(live: Live, human: Human) -> None:
    calls: list[dict[str, object]] = []
    send = payout_fn(live, calls)

    def nobody_decides(svc: object, pid: str) -> None:
        live.clock.advance(hours=25)
        sweep(live.svc)

    human.then(nobody_decides)
    with pytest.raises(Expired) as err:
        send("alice@example.com", 120)
    assert not isinstance(err.value, Rejected)
    assert isinstance(err.value, NotApproved)
    assert err.value.proposal.status == "expired"
    assert "(no decision within 1d)" in err.value.message
    assert calls == []


def test_cancelled_raises_cancelled(live: Live, human: Human) -> None:
    calls: list[dict[str, object]] = []
    send = payout_fn(live, calls)
    human.then(lambda svc, pid: live.client().cancel(pid))
    with pytest.raises(Cancelled):
        send("alice@example.com", 120)
    assert calls == []


def test_timeout_leaves_the_proposal_pending(live: Live) -> None:
    calls: list[dict[str, object]] = []
    with pytest.raises(TimedOut) as err:
        payout_fn(live, calls, timeout=0.3, poll=0.1)("alice@example.com", 120)
    assert live.row(err.value.proposal_id).status == "pending"
    assert err.value.proposal_id in err.value.message
    assert calls == []


def test_callback_action_reports_success_and_failure(live: Live, human: Human) -> None:
    cs = live.client()

    @requires_approval(cs, workflow="payouts", action="note", summary="Leave a note")
    def note(text: str, when: date) -> dict[str, str]:
        if text == "boom":
            raise RuntimeError("notes service is down")
        return {"saved": f"{when.isoformat()}: {text}"}

    human.then(approve())
    assert note("hello", date(2026, 11, 2)) == {"saved": "2026-11-02: hello"}
    human.then(approve())
    with pytest.raises(RuntimeError, match="notes service is down"):
        note("boom", date(2026, 11, 2))
    human.join()
    done, failed = sorted(live.rows(), key=lambda r: r.payload["text"] == "boom")
    assert done.execution_status == "succeeded"
    assert done.execution_result == {"saved": "2026-11-02: hello"}
    assert failed.execution_status == "failed"
    assert failed.execution_error == "RuntimeError: notes service is down"


def test_an_edit_that_does_not_fit_the_function_is_reported_not_run(live: Live, human: Human) -> None:
    cs = live.client()
    calls: list[str] = []

    @requires_approval(cs, workflow="payouts", action="note", summary="Leave a note")
    def note(text: str, when: date) -> None:
        calls.append(text)

    human.then(edit_and_approve({"text": "edited", "when": "not a date"}, user="U0ALICE"))
    with pytest.raises(CountersignError, match="'when' does not fit note"):
        note("hello", date(2026, 11, 2))
    human.join()
    (row,) = live.rows()
    assert calls == []
    assert row.execution_status == "failed"
    assert "does not fit" in row.execution_error


def test_async_function_with_the_async_client(live: Live, human: Human) -> None:
    calls: list[str] = []

    @requires_approval(live.aclient(), workflow="payouts", action="note", summary=lambda text: f"Note: {text}")
    async def note(text: str) -> str:
        calls.append(text)
        return text.upper()

    async def scenario() -> tuple[str, Exception]:
        human.then(edit_and_approve({"text": "edited"}))
        first = await note("draft")
        human.then(reject("no notes today", user="U0ALICE"))
        try:
            await note("again")
        except Rejected as exc:
            return first, exc
        raise AssertionError("not rejected")

    first, refused = asyncio.run(scenario())
    assert first == "EDITED"
    assert calls == ["edited"]
    assert isinstance(refused, Rejected)
    human.join()
    assert sorted(r.execution_status for r in live.rows()) == ["none", "succeeded"]


def test_async_function_with_the_blocking_client_and_a_sync_function_refuses_the_async_client(
    live: Live, human: Human
) -> None:
    @requires_approval(live.client(), workflow="payouts", action="send", summary="Pay")
    async def send(to: str, amount: float) -> float:
        return amount

    human.then(approve())
    assert asyncio.run(send("alice@example.com", 120)) == 120.0
    with pytest.raises(TypeError, match="synchronous"):
        requires_approval(live.aclient(), workflow="payouts", action="send")(lambda to, amount: None)


def test_methods_keep_self_local_and_excluded_arguments_are_passed_through(live: Live) -> None:
    class Treasury:
        def __init__(self) -> None:
            self.paid: list[tuple[object, ...]] = []

        @requires_approval(live.client(), workflow="payouts", action="send", summary="Tiny payout", exclude=("ledger",))
        def send(self, to: str, amount: float, ledger: object = None) -> None:
            self.paid.append((to, amount, ledger))

    ledger = object()
    t = Treasury()
    t.send("bob@example.com", 5, ledger=ledger)
    assert t.paid == [("bob@example.com", 5.0, ledger)]
    (row,) = live.rows()
    assert row.payload == {"to": "bob@example.com", "amount": 5}


def test_shadow_mode_never_runs_the_function(db_url: str, tmp_path: Path, live: Live) -> None:
    shadow = make_services(db_url, write_policies(tmp_path / "shadow", mode="shadow"))
    with BackgroundServer(create_app(services=shadow, run_scheduler=False)) as server:
        calls: list[float] = []

        @requires_approval(
            live.client(url=server.url, token=add_agent(shadow, "shadow-agent")),
            workflow="payouts",
            action="send",
            summary="Tiny payout",
        )
        def send(to: str, amount: float) -> None:
            calls.append(amount)

        with pytest.raises(NotExecuted, match="shadow mode"):
            send("bob@example.com", 5)
    shadow.engine.dispose()
    assert calls == []
