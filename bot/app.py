"""create_app(settings) -> the ASGI app: agent API, Slack endpoint, health, and the scheduler lifespan."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot import __version__
from bot.api import audit, health, problems, proposals, receipts
from bot.api.read_deadline import ReadDeadline
from bot.config import Settings, load_settings
from bot.flow.context import Services
from bot.metrics import Metrics
from bot.receipts.keys import service_key
from bot.scheduler.runner import SchedulerRunner
from bot.store import migrate
from bot.wiring import build_services

log = structlog.get_logger(__name__)


def create_app(
    settings: Settings | None = None, *, services: Services | None = None, run_scheduler: bool | None = None
) -> FastAPI:
    """Build the app. Pass `services` to inject a clock, connector context or notifier (tests do)."""
    settings = settings or (services.settings if services else load_settings())
    svc = services or build_services(settings)
    runner = SchedulerRunner(svc)
    scheduler_on = settings.scheduler_enabled if run_scheduler is None else run_scheduler

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(migrate.upgrade, svc.engine)
        await run_in_threadpool(service_key, svc)  # a bad COUNTERSIGN_SIGNING_KEY stops start-up here
        if scheduler_on:
            runner.start()
        for hook in app.state.on_startup:  # e.g. Slack Socket Mode
            await run_in_threadpool(hook)
        log.info(
            "countersign ready",
            workflows=sorted(svc.policies.workflows),
            slack=settings.slack_enabled,
            database=svc.engine.url.render_as_string(hide_password=True),
        )
        try:
            yield
        finally:
            for hook in reversed(app.state.on_shutdown):
                await run_in_threadpool(hook)
            runner.shutdown()
            svc.decisions.close()
            svc.engine.dispose()

    app = FastAPI(
        title="Countersign",
        version=__version__,
        lifespan=lifespan,
        description="Human approval for AI agents: propose an action, a policy routes it, people decide in Slack.",
    )
    app.state.services, app.state.metrics, app.state.runner = svc, Metrics(), runner
    app.state.on_startup, app.state.on_shutdown = [], []  # sync hooks run by the lifespan (Slack adds some)
    problems.install(app)
    app.add_middleware(problems.BodyGuard, max_bytes=settings.max_body_bytes)
    app.add_middleware(ReadDeadline, seconds=settings.read_timeout_seconds)  # outside BodyGuard, which reads
    app.include_router(proposals.router)
    app.include_router(health.router)
    app.include_router(receipts.router)
    app.include_router(audit.router)
    if settings.slack_enabled:
        from bot.slack.mount import mount_slack

        mount_slack(app, svc)
    app.add_middleware(RequestTimer, metrics=app.state.metrics)
    return app


class RequestTimer:
    """Pure ASGI middleware recording request latency by route (BaseHTTPMiddleware costs more than the work)."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), 500

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.requests.labels(scope["method"], path, str(status)).observe(time.perf_counter() - start)
