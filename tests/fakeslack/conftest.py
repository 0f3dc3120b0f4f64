"""Fixtures: the `slack` workspace on a controllable clock, a real WebClient, a tiny Bolt app served by uvicorn."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from slack_bolt import App
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk import WebClient
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.clock import FakeClock
from bot.fakeslack import BackgroundServer, FakeSlack, SlackDriver

SECRET = "test-signing-secret"
USERS = {
    "U1": {"name": "alice", "real_name": "Alice", "tz": "Europe/Paris", "email": "alice@example.com"},
    "U2": {"name": "bob", "real_name": "Bob", "tz": "America/New_York"},
    "U3": {"name": "carol", "real_name": "Carol", "tz": "UTC"},
}
USERGROUPS = {"S0LEADS": ["U1", "U2"]}
CHANNELS = {
    "C0SUPPORT": {"name": "support", "is_private": False, "members": ["UBOT", "U1", "U2"]},
    "C0PUBLIC": {"name": "random", "is_private": False, "members": ["U1"]},
    "G0SECRET": {"name": "secret", "is_private": True, "members": ["U1"]},
    "G0OPS": {"name": "ops", "is_private": True, "members": ["UBOT", "U1"]},
}


@pytest.fixture
def slack_workspace(clock: FakeClock) -> dict[str, Any]:
    """The workspace `slack` serves here, on the test's clock (FakeSlack reads it as epoch seconds)."""
    return {
        "signing_secret": SECRET,
        "users": USERS,
        "usergroups": USERGROUPS,
        "channels": CHANNELS,
        "clock": clock,
    }


@pytest.fixture
def client(slack: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-fake", base_url=slack.api_url)


@dataclass
class BoltRig:
    """A Bolt app served over HTTP plus the driver that talks to it."""

    app: App
    url: str
    driver: SlackDriver


def bolt_asgi(app: App) -> Starlette:
    """POST /slack/events → app.dispatch on a worker thread (dispatch is blocking)."""

    async def events(request: Request) -> Response:
        bolt_request = to_bolt_request(request, await request.body())
        return to_starlette_response(await run_in_threadpool(app.dispatch, bolt_request))

    return Starlette(routes=[Route("/slack/events", events, methods=["POST"])])


@pytest.fixture
def bolt(slack: FakeSlack) -> Iterator[BoltRig]:
    app = App(
        client=WebClient(token="xoxb-fake", base_url=slack.api_url),
        signing_secret=SECRET,
        token_verification_enabled=False,
        process_before_response=True,
    )
    with BackgroundServer(bolt_asgi(app)) as server:
        driver = slack.driver(server.url)
        yield BoltRig(app, server.url, driver)
        driver.close()
