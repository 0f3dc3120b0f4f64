"""mount_slack(app, svc): POST /slack/events, the /readyz check and Socket Mode (the Slack ports are built with the
services, in bot.wiring)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk import WebClient
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from bot.errors import ConfigError
from bot.flow.context import Services
from bot.slack.bolt_app import LazyPool, build_bolt_app
from bot.slack.client import AuthCheck
from bot.slack.request_gate import Refused, SlackRequestGate, unparseable
from bot.slack.socket_mode import SocketMode


def mount_slack(app: FastAPI, svc: Services) -> None:
    """Wire Slack into the app; tests read `app.state.slack_bolt` and `app.state.slack_lazy`."""
    client = svc.connectors.context.slack_client
    if not isinstance(client, WebClient):
        raise ConfigError("Slack is configured but the services were built without a Slack client (bot.wiring)")
    pool = LazyPool()
    bolt = build_bolt_app(client, svc, pool)
    app.state.slack_bolt, app.state.slack_lazy = bolt, pool
    app.state.slack_check = AuthCheck(client)
    gate = SlackRequestGate(svc.settings.slack_signing_secret or "")
    app.add_api_route("/slack/events", _endpoint(bolt, pool, gate), methods=["POST"], include_in_schema=False)
    app.state.on_shutdown.append(lambda: pool.wait_idle(10) and None)  # let in-flight clicks finish
    if svc.settings.slack_app_token:
        socket = SocketMode(bolt, svc.settings.slack_app_token, client)
        app.state.on_startup.append(socket.start)
        app.state.on_shutdown.append(socket.stop)


def _endpoint(bolt: App, pool: LazyPool, gate: SlackRequestGate) -> Callable[[Request], Awaitable[Response]]:
    def dispatch(bolt_request: BoltRequest) -> tuple[BoltResponse, list[Any]]:
        with pool.holding() as lazy:
            try:
                return bolt.dispatch(bolt_request), lazy
            except BaseException:
                pool.start(lazy)
                raise

    async def slack_events(request: Request) -> Response:
        """Bolt verifies the signature and timestamp; dispatch blocks, so it runs in the threadpool. The lazy
        listeners it queued start once the ack is on its way (or failed to go)."""
        try:  # size and signature first (bot/slack/request_gate.py), so nothing unsigned is read whole or parsed
            bolt_request = to_bolt_request(request, await gate.body(request))
        except Refused as refused:
            return refused.response
        except ValueError:  # UnicodeDecodeError, JSONDecodeError
            return unparseable().response
        bolt_response, lazy = await run_in_threadpool(dispatch, bolt_request)
        return AckThenWork(to_starlette_response(bolt_response), lambda: pool.start(lazy))

    return slack_events


class AckThenWork(Response):
    """A response that runs `then` after it has been sent, even when sending fails (the click's work is never lost)."""

    def __init__(self, ack: Response, then: Callable[[], None]) -> None:
        self.__dict__.update(ack.__dict__)  # a copy, not super().__init__(), which would render the body again
        self._then = then

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._then()
