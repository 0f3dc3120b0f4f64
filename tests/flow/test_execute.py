"""Execution through the outbox: the webhook receives a signed call; failures retry, then fail visibly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bot.clock import FakeClock
from bot.fakes.webhook_receiver import Reply, WebhookReceiver
from bot.flow import decide, execute
from bot.flow.context import Services
from bot.store import due, proposals
from bot.store.db import session_scope
from tests.factories import sweep


def _state(svc: Services, pid: str) -> tuple[str, int, str | None]:
    with session_scope(svc.engine) as s:
        p = proposals.get(session=s, proposal_id=pid)
        return p.execution_status, p.execution_attempts, p.execution_error


def test_approved_action_is_executed_once_with_the_proposal_id_as_key(
    svc: Services, submit: Callable, receiver: WebhookReceiver
) -> None:
    p = submit()
    decide.approve(svc, proposal_id=p.id, user="U0ALICE")
    sweep(svc)
    sweep(svc)
    assert len(receiver.deliveries) == 1
    hit = receiver.deliveries[0]
    assert hit.error is None, hit.error  # signature verified by the receiver
    assert hit.headers["idempotency-key"] == p.id
    assert hit.json["payload"] == p.payload
    assert _state(svc, p.id)[0] == "succeeded"


def test_auto_route_executes_without_a_human(svc: Services, submit: Callable, receiver: WebhookReceiver) -> None:
    p = submit(payload={"to": "a@example.com", "amount": 3})
    sweep(svc)
    assert [d.json["payload"]["amount"] for d in receiver.deliveries] == [3]
    assert _state(svc, p.id)[0] == "succeeded"


def test_retryable_failures_back_off_then_succeed_with_the_same_key(
    svc: Services, submit: Callable, receiver: WebhookReceiver, clock: FakeClock
) -> None:
    receiver.script(503, 503)
    p = submit(payload={"to": "a@example.com", "amount": 3})
    sweep(svc)
    assert _state(svc, p.id)[:2] == ("queued", 1)
    sweep(svc)  # not due yet: the backoff is measured on the injected clock
    assert len(receiver.deliveries) == 1
    clock.advance(minutes=5)
    sweep(svc)
    clock.advance(minutes=5)
    sweep(svc)
    assert _state(svc, p.id)[:2] == ("succeeded", 3)
    assert {d.headers["idempotency-key"] for d in receiver.deliveries} == {p.id}


def test_permanent_failure_is_recorded_and_posted_for_humans(
    svc: Services, submit: Callable, receiver: WebhookReceiver
) -> None:
    receiver.script(Reply(422, {"error": "unknown account"}))
    p = submit(payload={"to": "a@example.com", "amount": 3})
    sweep(svc)
    status, attempts, error = _state(svc, p.id)
    assert (status, attempts) == ("failed", 1)
    assert error.endswith("answered 422: Unprocessable Entity")  # the status, not what the target said
    assert "unknown account" not in error
    with session_scope(svc.engine) as s:
        notes = [w.data for w in due.for_proposal(session=s, proposal_id=p.id, kind="slack_note")]
    assert notes
    assert notes[0]["kind"] == "execution_failed"
    assert notes[0]["owner"] == "U0OWNER"


def test_retries_are_capped(svc: Services, submit: Callable, receiver: WebhookReceiver, clock: FakeClock) -> None:
    receiver.script(*[500] * 10)
    p = submit(payload={"to": "a@example.com", "amount": 3})
    for _ in range(execute.MAX_EXECUTION_ATTEMPTS + 2):
        sweep(svc)
        clock.advance(hours=1)
    assert _state(svc, p.id)[:2] == ("failed", execute.MAX_EXECUTION_ATTEMPTS)
    assert len(receiver.deliveries) == execute.MAX_EXECUTION_ATTEMPTS


def test_crash_mid_execution_is_retried_after_the_lease_with_the_same_key(
    svc: Services, submit: Callable, receiver: WebhookReceiver, clock: FakeClock
) -> None:
    p = submit(payload={"to": "a@example.com", "amount": 3})
    with session_scope(svc.engine) as s:  # a replica claims the item, then dies before doing anything
        claimed = due.claim(session=s, owner="dead-replica", now=clock.now(), lease=timedelta(minutes=5), limit=10)
    assert [c.kind for c in claimed] == ["execute"]
    sweep(svc)
    assert receiver.deliveries == []  # the lease still holds
    clock.advance(minutes=6)
    sweep(svc)
    assert len(receiver.deliveries) == 1
    assert receiver.deliveries[0].headers["idempotency-key"] == p.id
    assert _state(svc, p.id)[0] == "succeeded"
