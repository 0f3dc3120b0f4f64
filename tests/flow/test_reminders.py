"""Reminders, escalation chains and expiry, driven end to end by the sweep on a fake clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.clock import FakeClock
from bot.errors import NotAuthorized
from bot.fakes.webhook_receiver import WebhookReceiver
from bot.flow import decide
from bot.flow.agents import hash_token
from bot.flow.context import Services
from bot.flow.ports import NotifyError
from bot.store import audit, due, proposals
from bot.store.db import session_scope
from bot.store.models import Proposal
from tests.factories import add_agent, make_services, proposal, sweep, write_policies
from tests.fakes.notifier import RecordingNotifier

BIG = {"to": "alice@example.com", "amount": 2000, "memo": "needs two approvals"}
OPS_POLICY = """
workflow: ops
owner: U0OWNER
review_channel: C0REVIEW
actions:
  restart:
    connector: callback
    schema: {type: object, properties: {service: {type: string}}}
    approval:
      channel: C0OPS
      approvers: {users: [U0ALICE]}
      remind_after: 10m
      reminder_cap: 0
      escalate: [{after: 1h, mention: S0ONCALL}]
      expire_after: 4h
"""


class StaticDirectory:
    """User groups with fixed members (what Slack's usergroups.users.list would answer)."""

    def __init__(self, groups: dict[str, set[str]]) -> None:
        self.groups = groups

    def members(self, usergroup: str) -> frozenset[str]:
        return frozenset(self.groups.get(usergroup, set()))


@pytest.fixture
def notifier() -> RecordingNotifier:
    """The root `svc` fixture is built with this: it records what Slack was asked to do."""
    return RecordingNotifier()


def _row(svc: Services, pid: str) -> Proposal:
    with session_scope(svc.engine) as s:
        return proposals.get(session=s, proposal_id=pid)


def test_reminders_repeat_up_to_the_cap_naming_who_has_not_approved(
    svc: Services, submit: Callable, notifier: RecordingNotifier, clock: FakeClock
) -> None:
    p = submit(payload=BIG)
    decide.approve(svc, proposal_id=p.id, user="U0ALICE")  # one of the two approvals needed
    sweep(svc)
    clock.advance(minutes=29)
    sweep(svc)
    assert notifier.notes_of("reminder") == []
    clock.advance(minutes=1)
    sweep(svc)
    [first] = notifier.notes_of("reminder")
    assert first.data == {"n": 1, "waiting": ["U0BOB", "U0CAROL", "S0LEADS"], "cap": 2}
    clock.advance(minutes=30)
    sweep(svc)
    assert [n.data["n"] for n in notifier.notes_of("reminder")] == [1, 2]
    clock.advance(minutes=45)  # past the cap of 2 (the first escalation is only due at 2 h)
    sweep(svc)
    assert len(notifier.notes_of("reminder")) == 2
    assert _row(svc, p.id).reminders_sent == 2


def test_no_reminder_once_decided(
    svc: Services, submit: Callable, notifier: RecordingNotifier, clock: FakeClock
) -> None:
    p = submit()
    decide.reject(svc, proposal_id=p.id, user="U0BOB", reason="wrong account")
    clock.advance(hours=30)
    sweep(svc)
    assert notifier.notes_of("reminder") == []
    assert notifier.notes_of("escalated") == []
    assert _row(svc, p.id).status == "rejected"  # not expired: the decision stands


def test_escalation_chain_mentions_each_step_and_lets_it_decide(
    svc: Services, submit: Callable, notifier: RecordingNotifier, clock: FakeClock
) -> None:
    p = submit()
    sweep(svc)
    clock.advance(hours=2)
    sweep(svc)
    assert [n.data["mention"] for n in notifier.notes_of("escalated")] == ["S0LEADS"]
    with pytest.raises(NotAuthorized):  # the owner is only the second step
        decide.approve(svc, proposal_id=p.id, user="U0OWNER")
    clock.advance(hours=6)
    sweep(svc)
    assert [n.data["mention"] for n in notifier.notes_of("escalated")] == ["S0LEADS", "U0OWNER"]
    assert notifier.updates[-1].escalation_level == 2  # the message shows the new deciders
    assert decide.approve(svc, proposal_id=p.id, user="U0OWNER").proposal.status == "approved"
    row = _row(svc, p.id)
    assert (row.escalations, row.escalation_level) == (2, 2)
    with session_scope(svc.engine) as s:
        events = [e for e in audit.for_proposal(session=s, proposal_id=p.id) if e.action == "escalation"]
    assert [e.data["mention"] for e in events] == ["S0LEADS", "U0OWNER"]


@pytest.fixture
def ops(db_url: str, tmp_path: Path, clock: FakeClock) -> Iterator[Services]:
    policies = write_policies(tmp_path / "ops-policies")
    (policies / "ops.yaml").write_text(OPS_POLICY)
    s = make_services(
        db_url, policies, clock=clock, notifier=RecordingNotifier(), directory=StaticDirectory({"S0ONCALL": {"U0DAVE"}})
    )
    yield s
    s.engine.dispose()


def test_escalation_to_a_group_lets_its_members_decide_and_cap_zero_means_no_reminder(
    ops: Services, clock: FakeClock
) -> None:
    from bot.flow import intake
    from bot.flow.agents import AgentIdentity
    from bot.flow.requests import ProposalRequest

    req = ProposalRequest.model_validate(
        {"workflow": "ops", "action": "restart", "summary": "Restart api", "payload": {"service": "api"}}
    )
    p, _ = intake.submit(ops, agent=AgentIdentity("agent-1", ("ops",)), req=req)
    with pytest.raises(NotAuthorized):
        decide.approve(ops, proposal_id=p.id, user="U0DAVE")
    clock.advance(hours=1)
    sweep(ops)
    assert ops.notifier.notes_of("reminder") == []  # reminder_cap: 0 turns reminders off
    assert [n.data["mention"] for n in ops.notifier.notes_of("escalated")] == ["S0ONCALL"]
    assert decide.approve(ops, proposal_id=p.id, user="U0DAVE").proposal.decided_by == "U0DAVE"


def test_expiry_rejects_as_expired_updates_the_message_and_tells_the_agent(
    svc: Services, notifier: RecordingNotifier, clock: FakeClock
) -> None:
    token = add_agent(svc)
    auth = {"Authorization": f"Bearer {token}"}
    with WebhookReceiver(hash_token(token)) as hook, TestClient(create_app(services=svc, run_scheduler=False)) as api:
        p = api.post("/api/v1/proposals", json=proposal(callback_url=hook.url), headers=auth).json()
        sweep(svc)
        clock.advance(hours=23, minutes=59)
        sweep(svc)
        assert api.get(f"/api/v1/proposals/{p['id']}", headers=auth).json()["status"] == "pending"
        clock.advance(minutes=1)
        sweep(svc)
        got = api.get(f"/api/v1/proposals/{p['id']}/wait?timeout=5", headers=auth).json()
        assert (got["status"], got["decided_by"], got["decision_reason"]) == (
            "expired",
            "countersign",
            "no decision within 1d",
        )
        [delivery] = [d for d in hook.deliveries if d.json["event"] == "decision"]
        assert delivery.error is None
        assert delivery.json["proposal"]["status"] == "expired"
    assert notifier.updates[-1].status == "expired"
    assert [n.data["reason"] for n in notifier.notes_of("expired")] == ["no decision within 1d"]
    with pytest.raises(Exception, match="already expired"):
        decide.approve(svc, proposal_id=p["id"], user="U0ALICE")


def test_slack_errors_on_a_reminder_are_retried_then_recorded_never_dropped(
    svc: Services, submit: Callable, notifier: RecordingNotifier, clock: FakeClock
) -> None:
    p = submit()
    sweep(svc)
    notifier.fail(NotifyError("ratelimited", retryable=True, retry_after=30))
    clock.advance(minutes=30)
    sweep(svc)
    [note] = [w for w in _work(svc, p.id) if w.kind == "slack_note"]
    assert (note.state, note.attempts, note.last_error) == ("pending", 1, "ratelimited")
    assert notifier.notes_of("reminder") == []
    clock.advance(seconds=30)  # Slack's Retry-After
    sweep(svc)
    assert [n.data["n"] for n in notifier.notes_of("reminder")] == [1]
    notifier.fail(NotifyError("channel_not_found", retryable=False))
    clock.advance(minutes=30)
    sweep(svc)
    dead = [w for w in _work(svc, p.id) if w.state == "dead"]
    assert [(w.kind, w.data["kind"], w.last_error) for w in dead] == [("slack_note", "reminder", "channel_not_found")]


def _work(svc: Services, pid: str) -> list:
    with session_scope(svc.engine) as s:
        return list(due.for_proposal(session=s, proposal_id=pid))


def test_a_scheduled_step_mentions_its_own_target_even_if_an_earlier_step_never_ran(
    svc: Services, submit: Callable, notifier: RecordingNotifier
) -> None:
    from bot.flow import lifecycle

    p = submit()
    assert lifecycle.escalate(svc, proposal_id=p.id, actor="countersign", level=2) == "U0OWNER"
    assert lifecycle.escalate(svc, proposal_id=p.id, actor="countersign", level=1) == ""  # already past it
    assert decide.approve(svc, proposal_id=p.id, user="U0OWNER").proposal.status == "approved"
