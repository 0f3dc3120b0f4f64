"""The Bolt app: verified requests, acks before work (process_before_response + lazy listeners), one error handler."""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import structlog
from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

from bot.flow.context import Services
from bot.slack.client import SlackFailure, slack_call
from bot.slack.errors import error_handler
from bot.slack.installation import LEARNT_APP_ID, installation_gate
from bot.slack.listeners import register_all
from bot.slack.redelivery import once_per_event

LAZY_WORKERS = 16
log = structlog.get_logger(__name__)


class LazyPool(ThreadPoolExecutor):
    """Runs lazy listeners and counts them, so shutdown (and tests) can wait until in-flight clicks are done.

    Inside `holding()`, what the current thread submits is kept and started by `start()`: the HTTP endpoint
    holds a request's lazy listeners until its ack has been sent, so their work does not compete with the ack
    for the interpreter (a CPU-bound thread delays another by up to the 5 ms GIL switch interval)."""

    def __init__(self, workers: int = LAZY_WORKERS) -> None:
        super().__init__(max_workers=workers, thread_name_prefix="slack-lazy")
        self._busy = 0
        self._idle = threading.Condition()
        self._holding = threading.local()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Submit and count until done (or keep it for `start()` inside `holding()`)."""
        with self._idle:
            self._busy += 1
        held: list[Callable[[], Future[Any]]] | None = getattr(self._holding, "jobs", None)
        if held is not None:
            future: Future[Any] = Future()
            held.append(lambda: self._submit(fn, args, kwargs, future))
            return future
        return self._submit(fn, args, kwargs, None)

    def _submit(self, fn: Callable[..., Any], args: Any, kwargs: Any, handle: Future[Any] | None) -> Future[Any]:
        future = super().submit(fn, *args, **kwargs)
        if handle is not None:
            future.add_done_callback(lambda f: _copy_outcome(f, handle))
        future.add_done_callback(self._done)
        return future

    @contextmanager
    def holding(self) -> Iterator[list[Callable[[], Future[Any]]]]:
        """Keep what this thread submits in the block; pass the list to `start()` once the ack is sent."""
        jobs: list[Callable[[], Future[Any]]] = []
        self._holding.jobs = jobs
        try:
            yield jobs
        finally:
            self._holding.jobs = None

    @staticmethod
    def start(jobs: list[Callable[[], Future[Any]]]) -> None:
        """Start held lazy listeners."""
        for job in jobs:
            job()

    def _done(self, _: Future[Any]) -> None:
        with self._idle:
            self._busy -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until no lazy listener is running or queued; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)


def _copy_outcome(source: Future[Any], target: Future[Any]) -> None:
    if source.cancelled():
        target.cancel()
    elif source.exception() is not None:
        target.set_exception(source.exception())
    else:
        target.set_result(source.result())


def bot_identity(client: WebClient) -> Callable[..., AuthorizeResult]:
    """Bolt's `authorize` for this one workspace: who the bot is (auth.test), asked once and remembered.

    Bolt's default asks on the first request and, if Slack fails to answer, drops that request with "please
    install this app": a click lost to a Slack blip. Here a failed auth.test is logged and the request goes on
    with the bot token alone (nothing this app does needs the bot's own ids); the next request asks again."""
    known: list[AuthorizeResult] = []

    def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        if known:
            return known[0]
        try:
            with slack_call():
                answer = client.auth_test()
        except SlackFailure as exc:
            log.warning("auth.test failed; handling the request with the bot token alone", error=exc.code)
            return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=client.token)
        result = AuthorizeResult.from_auth_test_response(auth_test_response=answer, bot_token=client.token)
        result[LEARNT_APP_ID] = answer.get("app_id") or ""  # marks ids learnt from auth.test (installation gate)
        known.append(result)
        return known[0]

    return authorize


def build_bolt_app(client: WebClient, svc: Services, pool: LazyPool | None = None) -> App:
    """A Bolt app for HTTP (and Socket Mode), sharing the notifier's WebClient settings."""
    # Bolt builds each request's client from the token `authorize` returns; the shared one carries none (Bolt
    # warns at start-up when it is given both a token and an `authorize`).
    tokenless = copy.copy(client)
    tokenless.token = None
    app = App(
        client=tokenless,
        signing_secret=svc.settings.slack_signing_secret,
        authorize=bot_identity(client),
        process_before_response=True,
        listener_executor=pool or LazyPool(),
        logger=logging.getLogger("bot.slack.bolt"),
    )
    app.middleware(installation_gate(svc.settings))  # before anything else reads the body
    app.middleware(once_per_event(svc))  # redeliveries are handled unless their event_id already was
    app.error(error_handler(svc))
    register_all(app, svc)
    return app
