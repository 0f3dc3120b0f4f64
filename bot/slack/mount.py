"""mount_slack(app, svc): Slack ports into the services, POST /slack/events, /readyz check, Socket Mode."""

from __future__ import annotations

from dataclasses import replace

from fastapi import FastAPI, Request, Response
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.concurrency import run_in_threadpool

from bot.flow.ports import EmptyDirectory
from bot.flow.services import ConnectorHub, Services
from bot.slack.bolt_app import LazyPool, build_bolt_app
from bot.slack.client import AuthCheck, make_client
from bot.slack.digest import SlackDigestPublisher
from bot.slack.directory import SlackDirectory
from bot.slack.notifier import SlackNotifier
from bot.slack.socket_mode import SocketMode


def mount_slack(app: FastAPI, svc: Services) -> None:
    """Wire Slack into the app; tests read `app.state.slack_bolt` and `app.state.slack_lazy`."""
    client = make_client(svc.settings)
    if svc.notifier is None:
        svc.notifier = SlackNotifier(client, svc)
    if svc.publisher is None:
        svc.publisher = SlackDigestPublisher(client)
    if isinstance(svc.directory, EmptyDirectory):
        svc.directory = SlackDirectory(client)
    if svc.connectors.context.slack_client is None:  # slack_reply posts with the same client
        svc.connectors = ConnectorHub(svc.policies, replace(svc.connectors.context, slack_client=client))
    pool = LazyPool()
    bolt = build_bolt_app(client, svc, pool)
    app.state.slack_bolt, app.state.slack_lazy = bolt, pool
    app.state.slack_check = AuthCheck(client)
    app.add_api_route("/slack/events", _endpoint(bolt), methods=["POST"], include_in_schema=False)
    app.state.on_shutdown.append(lambda: pool.wait_idle(10) and None)  # let in-flight clicks finish
    if svc.settings.slack_app_token:
        socket = SocketMode(bolt, svc.settings.slack_app_token, client)
        app.state.on_startup.append(socket.start)
        app.state.on_shutdown.append(socket.stop)


def _endpoint(bolt: App):  # type: ignore[no-untyped-def]
    async def slack_events(request: Request) -> Response:
        """Bolt verifies the signature and timestamp; dispatch blocks, so it runs in the threadpool."""
        bolt_request = to_bolt_request(request, await request.body())
        return to_starlette_response(await run_in_threadpool(bolt.dispatch, bolt_request))

    return slack_events
