"""Every API error reaches the agent as a typed exception carrying the server's own message and code."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.app import create_app
from bot.fakeslack import BackgroundServer
from bot.flow import agents
from bot.store.db import make_engine
from countersign import (
    Conflict,
    ConnectionFailed,
    CountersignError,
    Forbidden,
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    Retry,
    ServerError,
    ServiceUnavailable,
    Unauthorized,
)
from tests.factories import add_agent
from tests.fakes.tcp_proxy import TcpProxy
from tests.live import Live

PAYOUT = {"to": "alice@example.com", "amount": 120}


def test_401_unknown_and_revoked_tokens(live: Live) -> None:
    with live.client(token="cs_not-a-real-token") as cs, pytest.raises(Unauthorized) as unknown:
        cs.propose("payouts", "send", "Pay", PAYOUT)
    agents.revoke(live.svc, name="agent-1")
    with live.client() as cs, pytest.raises(Unauthorized) as revoked:
        cs.get("anything")
    assert (unknown.value.status, unknown.value.code) == (401, "NotAuthenticated")
    assert unknown.value.message == "unknown token"
    assert revoked.value.message == "token of agent 'agent-1' was revoked"
    assert str(revoked.value) == "401 NotAuthenticated: token of agent 'agent-1' was revoked"


def test_403_outside_the_tokens_scope(live: Live) -> None:
    token = add_agent(live.svc, "narrow", ("payouts:note",))
    with live.client(token=token) as cs, pytest.raises(Forbidden) as err:
        cs.propose("payouts", "send", "Pay", PAYOUT)
    assert err.value.message == "agent 'narrow' has no scope for payouts:send (scopes: payouts:note)"
    assert err.value.code == "NotAuthorized"


def test_404_unknown_workflow_action_and_proposal(live: Live) -> None:
    with live.client() as cs:
        with pytest.raises(NotFound, match="unknown workflow 'payroll'"):
            cs.propose("payroll", "send", "Pay", PAYOUT)
        with pytest.raises(NotFound) as action:
            cs.propose("payouts", "teleport", "Go", {})
        with pytest.raises(NotFound, match="no proposal nope"):
            cs.wait("nope")
    assert action.value.message == "unknown action 'teleport' in workflow 'payouts'"
    assert action.value.body["workflow"] == "payouts"


def test_409_idempotency_key_reused_with_other_content_and_late_cancel(live: Live) -> None:
    with live.client() as cs:
        first = cs.propose("payouts", "send", "Pay", PAYOUT, idempotency_key="same-key")
        with pytest.raises(Conflict) as reuse:
            cs.propose("payouts", "send", "Pay more", {**PAYOUT, "amount": 999}, idempotency_key="same-key")
        cs.cancel(first.id)
        with pytest.raises(Conflict, match="already cancelled"):
            cs.cancel(first.id)
    assert reuse.value.message == "idempotency key 'same-key' was already used with different content"
    assert reuse.value.proposal_id == first.id
    assert live.count() == 1


def test_413_body_over_the_limit(live: Live) -> None:
    with live.client() as cs, pytest.raises(PayloadTooLarge) as err:
        cs.propose("payouts", "send", "Huge", {**PAYOUT, "memo": "x" * 300_000})
    assert err.value.message == "body is larger than 262144 bytes"
    assert err.value.code == "BodyTooLarge"
    assert live.count() == 0


def test_422_lists_every_field_error(live: Live) -> None:
    with live.client() as cs, pytest.raises(InvalidRequest) as err:
        cs.propose(
            "payouts",
            "send",
            "",
            PAYOUT,
            thread={"channel": "nope", "ts": "1"},
            links=[{"title": "x", "url": "not a url"}],
        )
    locs = {tuple(e["loc"]) for e in err.value.errors}
    assert err.value.status == 422
    count = len(err.value.errors)
    assert err.value.message == f"{count} invalid field" + ("" if count == 1 else "s")
    assert {("summary",), ("thread", "channel"), ("thread", "ts"), ("links", "0", "url")} <= locs
    assert all(e["msg"] for e in err.value.errors)


def test_422_from_the_async_client_too(live: Live) -> None:
    async def go() -> InvalidRequest:
        async with live.aclient() as cs:
            try:
                await cs.report_result("any", ok=True, error="\x00")
            except InvalidRequest as exc:
                return exc
        raise AssertionError("no error")

    exc = asyncio.run(go())
    assert exc.errors[0]["loc"] == ["error"]
    assert "NUL" in exc.errors[0]["msg"]


class _PlainTextTransport(httpx.HTTPTransport):
    """Sends the JSON body labelled text/plain, as a misconfigured proxy might."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.headers["content-type"] = "text/plain"
        return super().handle_request(request)


def test_415_body_not_labelled_json(live: Live) -> None:
    with live.client(transport=_PlainTextTransport()) as cs, pytest.raises(InvalidRequest) as err:
        cs.propose("payouts", "send", "Pay", PAYOUT)
    assert (err.value.status, err.value.code) == (415, "UnsupportedMediaType")
    assert err.value.message == "send the body as JSON (Content-Type: application/json)"
    assert err.value.errors == []


def test_503_is_retried_then_raised_with_retry_after(live: Live, tmp_path: Path) -> None:
    broken = dataclasses.replace(live.svc, engine=make_engine(f"sqlite:///{tmp_path}/missing-dir/db.sqlite"))
    with (
        BackgroundServer(create_app(services=broken, run_scheduler=False)) as server,
        TcpProxy(server.port) as proxy,
        live.client(url=proxy.url, retry=Retry(retries=2, backoff=0.01, max_backoff=0.02)) as cs,
        pytest.raises(ServiceUnavailable) as err,
    ):
        cs.propose("payouts", "send", "Pay", PAYOUT)
    assert err.value.retry_after == 5.0
    assert err.value.code == "DatabaseUnavailable"
    assert err.value.message == "the database is unavailable; try again shortly"
    assert proxy.count("POST /api/v1/proposals") == 3  # the first try and two retries, all with the same key


def test_unreachable_service_raises_connection_failed_after_bounded_retries(live: Live) -> None:
    with TcpProxy(live.server.port) as proxy:
        proxy.set_down(True)
        with (
            live.client(url=proxy.url, retry=Retry(retries=3, backoff=0.01)) as cs,
            pytest.raises(ConnectionFailed) as err,
        ):
            cs.propose("payouts", "send", "Pay", PAYOUT)
    assert proxy.refused == 4
    assert "POST" in err.value.message
    assert isinstance(err.value, CountersignError)
    assert live.count() == 0


def test_a_url_that_is_not_countersign_says_so(live: Live) -> None:
    async def page(request: Request) -> Response:
        if request.url.path.endswith("/wait"):
            return PlainTextResponse("Bad gateway", status_code=502)
        return HTMLResponse("<html>welcome</html>")

    site = Starlette(routes=[Route("/{path:path}", page, methods=["GET", "POST"])])
    with BackgroundServer(site) as server, live.client(url=server.url) as cs:
        with pytest.raises(CountersignError) as html:
            cs.get("x")
        with pytest.raises(ServerError) as gateway:
            cs.wait("x")
    assert "not a JSON object (is the URL the Countersign service?)" in html.value.message
    assert (gateway.value.status, gateway.value.message) == (502, "Bad gateway")
