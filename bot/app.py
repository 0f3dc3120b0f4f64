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
from bot.api import health, problems, proposals, receipts
from bot.clock import Clock, SystemClock
from bot.config import Settings, load_settings
from bot.errors import ConfigError
from bot.flow.context import ConnectorHub, Services
from bot.metrics import Metrics
from bot.policy import PolicyFileError, PolicySet, load_policies
from bot.receipts.keys import service_key
from bot.scheduler.runner import SchedulerRunner
from bot.scheduler.sweep import instance_name
from bot.store import migrate
from bot.store.db import make_engine
from connectors import registry
from connectors.base import ConnectorContext

log = structlog.get_logger(__name__)


def build_services(
    settings: Settings, *, clock: Clock | None = None, connector_context: ConnectorContext | None = None
) -> Services:
    """Everything the flows need, from settings (policies are validated here: bad ones stop start-up)."""
    try:
        policies = load_policies(settings.policies_dir)
    except PolicyFileError as exc:
        raise ConfigError(f"COUNTERSIGN_POLICIES: invalid policy files:\n{exc}") from None
    engine = make_engine(settings.database_url)
    context = connector_context or ConnectorContext()
    _warn_missing_secrets(policies, context)
    return Services(
        settings=settings,
        engine=engine,
        policies=policies,
        clock=clock or SystemClock(),
        connectors=ConnectorHub(policies, context),
        instance=instance_name(),
    )


def _warn_missing_secrets(policies: PolicySet, context: ConnectorContext) -> None:
    """Say at start-up which actions cannot execute yet (they will fail visibly, not silently, if approved)."""
    for wf in policies.workflows.values():
        for act in wf.actions.values():
            for name in registry.missing_secrets(act.connector_config, context.env):
                log.warning("connector secret not set", workflow=wf.name, action=act.name, variable=name)


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
            svc.kick = runner.kick
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
    app.include_router(proposals.router)
    app.include_router(health.router)
    app.include_router(receipts.router)
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
