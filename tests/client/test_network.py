"""Network failures between agent and service: waiting resumes, retries reuse the idempotency key, nothing doubles."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from bot.flow import decide
from bot.flow.context import Services
from countersign import Countersign, requires_approval
from tests.fakes.tcp_proxy import TcpProxy
from tests.live import Human, Live

PAYOUT = {"to": "alice@example.com", "amount": 120}
WAITING = "/wait?"


@pytest.fixture
def proxy(live: Live) -> Iterator[TcpProxy]:
    with TcpProxy(live.server.port) as p:
        yield p


def outage_then(proxy: TcpProxy, user: str = "U0ALICE") -> object:
    """While the agent long-polls: the network drops, reconnects fail, a person approves, the network returns."""

    def act(svc: Services, pid: str) -> None:
        proxy.wait_until(lambda p: p.count(WAITING) >= 1)
        proxy.set_down(True)
        proxy.cut()
        proxy.wait_until(lambda p: p.refused >= 2)  # the agent tried again while the network was down
        decide.approve(svc, proposal_id=pid, user=user)
        proxy.set_down(False)

    return act


def test_a_drop_during_wait_resumes_waiting_without_a_second_proposal(
    live: Live, human: Human, proxy: TcpProxy
) -> None:
    with live.client(url=proxy.url) as cs:
        p = cs.propose("payouts", "send", "Pay Alice", PAYOUT)
        human.then(outage_then(proxy))  # type: ignore[arg-type]
        decided = cs.wait(p.id, poll=60)
    human.join()
    assert decided.status == "approved"
    assert decided.id == p.id
    assert proxy.count("POST /api/v1/proposals") == 1
    assert proxy.count(WAITING) >= 2
    assert live.count() == 1


def test_async_wait_survives_a_drop_too(live: Live, human: Human, proxy: TcpProxy) -> None:
    async def scenario() -> str:
        async with live.aclient(url=proxy.url) as cs:
            p = await cs.propose("payouts", "send", "Pay Alice", PAYOUT)
            human.then(outage_then(proxy))  # type: ignore[arg-type]
            return (await cs.wait(p.id, poll=60)).status

    assert asyncio.run(scenario()) == "approved"
    human.join()
    assert proxy.count("POST /api/v1/proposals") == 1
    assert live.count() == 1


def test_the_decorator_never_reproposes_after_a_drop(live: Live, human: Human, proxy: TcpProxy) -> None:
    cs = Countersign(proxy.url, live.token, retry=live.client().retry)

    @requires_approval(cs, workflow="payouts", action="send", summary="Pay Alice", poll=60)
    def pay(to: str, amount: float) -> str:
        return f"paid {amount} to {to}"

    human.then(outage_then(proxy))  # type: ignore[arg-type]
    assert pay("alice@example.com", 120) == "paid 120.0 to alice@example.com"
    human.join()
    assert proxy.count("POST /api/v1/proposals") == 1
    assert live.count() == 1


def test_a_lost_propose_response_is_retried_with_the_same_key(live: Live, proxy: TcpProxy) -> None:
    proxy.lose_responses(1)  # the service stores the proposal, the answer never arrives
    with live.client(url=proxy.url) as cs:
        p = cs.propose("payouts", "send", "Pay Alice", PAYOUT)
        got = cs.get(p.id)
    assert proxy.count("POST /api/v1/proposals") == 2
    assert live.count() == 1
    assert got.idempotency_key == p.idempotency_key
    assert got.status == "pending"


def test_async_propose_retries_the_same_way(live: Live, proxy: TcpProxy) -> None:
    async def scenario() -> str:
        async with live.aclient(url=proxy.url) as cs:
            return (await cs.propose("payouts", "send", "Pay Alice", PAYOUT)).id

    proxy.lose_responses(2)
    pid = asyncio.run(scenario())
    assert proxy.count("POST /api/v1/proposals") == 3
    assert live.count() == 1
    assert live.row(pid).status == "pending"
