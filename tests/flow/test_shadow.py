"""Shadow mode: routed and shown, decided by people, never executed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.clock import FakeClock
from bot.fakes.webhook_receiver import WebhookReceiver
from bot.flow import decide, intake
from bot.flow.context import Services
from bot.flow.requests import ProposalRequest
from bot.store import due
from bot.store.db import session_scope
from tests.factories import make_services, proposal, sweep, write_policies
from tests.flow.conftest import AGENT


@pytest.fixture
def shadow(db_url: str, tmp_path: Path, clock: FakeClock, receiver: WebhookReceiver) -> Iterator[Services]:
    s = make_services(db_url, write_policies(tmp_path / "p", webhook_url=receiver.url, mode="shadow"), clock=clock)
    yield s
    s.engine.dispose()


def _submit(svc: Services, **kw: object):
    return intake.submit(svc, agent=AGENT, req=ProposalRequest.model_validate(proposal(**kw)))[0]


def test_shadow_decisions_never_execute(shadow: Services, receiver: WebhookReceiver) -> None:
    approved = _submit(shadow)
    auto = _submit(shadow, payload={"to": "a@example.com", "amount": 2})
    assert approved.mode == auto.mode == "shadow"
    out = decide.approve(shadow, proposal_id=approved.id, user="U0ALICE")
    sweep(shadow)
    assert out.proposal.execution.status == "skipped"
    assert auto.execution.status == "skipped"
    assert receiver.deliveries == []  # the connector's target saw nothing
    with session_scope(shadow.engine) as s:
        kinds = {w.kind for pid in (approved.id, auto.id) for w in due.for_proposal(session=s, proposal_id=pid)}
    assert "execute" not in kinds
    assert "slack_post" in kinds


def test_live_mode_executes(svc: Services, submit: Callable, receiver: WebhookReceiver) -> None:
    decide.approve(svc, proposal_id=submit().id, user="U0ALICE")
    sweep(svc)
    assert len(receiver.deliveries) == 1
