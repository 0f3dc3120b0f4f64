"""callback_url: every final state is POSTed, HMAC-signed with the agent's key, retried, and visible in GET."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.clock import FakeClock
from bot.fakes.webhook_receiver import Reply, WebhookReceiver
from bot.flow import decide, intake
from bot.flow.agents import authenticate, hash_token
from bot.flow.context import Services
from bot.flow.public import ProposalPublic, load_public
from bot.flow.requests import ProposalRequest
from bot.store.db import session_scope
from tests.factories import add_agent, proposal, sweep


@pytest.fixture
def token(svc: Services) -> str:
    return add_agent(svc, "cb-agent")


@pytest.fixture
def agent_hook(token: str) -> Iterator[WebhookReceiver]:
    with WebhookReceiver(hash_token(token)) as r:  # the agent verifies with sha256(its token)
        yield r


def _submit(svc: Services, token: str, hook: WebhookReceiver, **kw: object) -> ProposalPublic:
    agent = authenticate(svc, f"Bearer {token}")
    req = ProposalRequest.model_validate(proposal(callback_url=hook.url, **kw))
    return intake.submit(svc, agent=agent, req=req)[0]


def _view(svc: Services, pid: str) -> ProposalPublic:
    with session_scope(svc.engine) as s:
        return load_public(s, pid)


def test_decision_and_execution_are_both_delivered_signed(
    svc: Services, token: str, agent_hook: WebhookReceiver
) -> None:
    p = _submit(svc, token, agent_hook)
    decide.approve(svc, proposal_id=p.id, user="U0ALICE")
    sweep(svc)
    events = [
        (d.json["event"], d.json["proposal"]["status"], d.json["proposal"]["execution"]["status"])
        for d in agent_hook.deliveries
    ]
    assert ("decision", "approved", "queued") in events or ("decision", "approved", "succeeded") in events
    assert events[-1] == ("execution", "approved", "succeeded")
    assert all(d.error is None for d in agent_hook.deliveries)  # every signature verified
    assert {c.event: c.state for c in _view(svc, p.id).callbacks} == {"decision": "done", "execution": "done"}


def test_denied_at_intake_is_delivered(svc: Services, token: str, agent_hook: WebhookReceiver) -> None:
    p = _submit(svc, token, agent_hook, payload={"to": "a@example.com", "amount": -3})
    sweep(svc)
    assert [d.json["proposal"]["status"] for d in agent_hook.deliveries] == ["denied"]
    assert p.status == "denied"


def test_failed_delivery_is_retried_and_visible(
    svc: Services, token: str, agent_hook: WebhookReceiver, clock: FakeClock
) -> None:
    agent_hook.script(503)
    p = _submit(svc, token, agent_hook)
    decide.reject(svc, proposal_id=p.id, user="U0BOB", reason="duplicate invoice")
    sweep(svc)
    pending = _view(svc, p.id).callbacks
    assert [(c.state, c.attempts) for c in pending] == [("pending", 1)]
    assert "503" in pending[0].last_error
    clock.advance(minutes=1)
    sweep(svc)
    assert [c.state for c in _view(svc, p.id).callbacks] == ["done"]
    assert agent_hook.deliveries[-1].json["proposal"]["decision_reason"] == "duplicate invoice"


def test_refused_delivery_gives_up_visibly(svc: Services, token: str, agent_hook: WebhookReceiver) -> None:
    agent_hook.script(Reply(410, {"error": "gone"}))
    p = _submit(svc, token, agent_hook)
    decide.reject(svc, proposal_id=p.id, user="U0BOB", reason="no")
    sweep(svc)
    [cb] = _view(svc, p.id).callbacks
    assert cb.state == "dead"
    assert "410" in cb.last_error
