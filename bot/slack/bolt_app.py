"""The Bolt app: verified requests, acks before work (process_before_response + lazy listeners), one error handler."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient

from bot.flow.services import Services
from bot.slack.errors import error_handler
from bot.slack.listeners import register_all

LAZY_WORKERS = 16


class LazyPool(ThreadPoolExecutor):
    """Runs lazy listeners and counts them, so shutdown (and tests) can wait until in-flight clicks are done."""

    def __init__(self, workers: int = LAZY_WORKERS) -> None:
        super().__init__(max_workers=workers, thread_name_prefix="slack-lazy")
        self._busy = 0
        self._idle = threading.Condition()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Submit and count until done."""
        with self._idle:
            self._busy += 1
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._done)
        return future

    def _done(self, _: Future[Any]) -> None:
        with self._idle:
            self._busy -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until no lazy listener is running or queued; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)


def skip_redeliveries(request: BoltRequest, next: Callable[[], BoltResponse]) -> BoltResponse:
    """Events API redeliveries (X-Slack-Retry-Num) are acked and dropped: the first delivery was handled."""
    if request.headers.get("x-slack-retry-num"):
        return BoltResponse(status=200, body="")
    return next()


def build_bolt_app(client: WebClient, svc: Services, pool: LazyPool | None = None) -> App:
    """A Bolt app for HTTP (and Socket Mode), sharing the notifier's WebClient settings."""
    app = App(client=client, signing_secret=svc.settings.slack_signing_secret, token_verification_enabled=False,
              process_before_response=True, listener_executor=pool or LazyPool(),
              logger=logging.getLogger("bot.slack.bolt"))  # fmt: skip
    app.middleware(skip_redeliveries)
    app.error(error_handler(svc))
    register_all(app, svc)
    return app
