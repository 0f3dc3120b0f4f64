"""create_app(settings) -> the ASGI app: agent API, Slack endpoint, health, and the scheduler lifespan."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from bot import __version__
from bot.api import health, problems, proposals
from bot.clock import Clock, SystemClock
from bot.config import Settings, load_settings
from bot.errors import ConfigError
from bot.flow.services import ConnectorHub, Services
from bot.metrics import Metrics
from bot.policy import PolicyFileError, PolicySet, load_policies
from bot.scheduler.runner import SchedulerRunner
from bot.scheduler.sweep import instance_name
from bot.store import migrate
from bot.store.db import make_engine
from connectors import registry
from connectors.base import ConnectorContext

log = structlog.get_logger(__name__)


def build_services(settings: Settings, *, clock: Clock | None = None,
                   connector_context: ConnectorContext | None = None) -> Services:
    """Everything the flows need, from settings (policies are validated here: bad ones stop start-up)."""
    try:
        policies = load_policies(settings.policies_dir)
    except PolicyFileError as exc:
        raise ConfigError(f"COUNTERSIGN_POLICIES: invalid policy files:\n{exc}") from None
    engine = make_engine(settings.database_url)
    context = connector_context or ConnectorContext()
    _warn_missing_secrets(policies, context)
    return Services(settings=settings, engine=engine, policies=policies, clock=clock or SystemClock(),
                    connectors=ConnectorHub(policies, context), instance=instance_name())


def _warn_missing_secrets(policies: PolicySet, context: ConnectorContext) -> None:
    """Say at start-up which actions cannot execute yet (they will fail visibly, not silently, if approved)."""
    for wf in policies.workflows.values():
        for act in wf.actions.values():
            for name in registry.missing_secrets(act.connector_config, context.env):
                log.warning("connector secret not set", workflow=wf.name, action=act.name, variable=name)


def create_app(settings: Settings | None = None, *, services: Services | None = None,
               run_scheduler: bool | None = None) -> FastAPI:
    """Build the app. Pass `services` to inject a clock, connector context or notifier (tests do)."""
    settings = settings or (services.settings if services else load_settings())
    svc = services or build_services(settings)
    runner = SchedulerRunner(svc)
    scheduler_on = settings.scheduler_enabled if run_scheduler is None else run_scheduler

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(migrate.upgrade, svc.engine)
        if scheduler_on:
            svc.kick = runner.kick
            runner.start()
        log.info("countersign ready", workflows=sorted(svc.policies.workflows), slack=settings.slack_enabled,
                 database=svc.engine.url.render_as_string(hide_password=True))
        try:
            yield
        finally:
            runner.shutdown()
            svc.engine.dispose()

    app = FastAPI(title="Countersign", version=__version__, lifespan=lifespan,
                  description="Human approval for AI agents: propose an action, a policy routes it, people decide in Slack.")
    app.state.services, app.state.metrics, app.state.runner = svc, Metrics(), runner
    problems.install(app)
    app.add_middleware(problems.BodyGuard, max_bytes=settings.max_body_bytes)
    app.include_router(proposals.router)
    app.include_router(health.router)
    if settings.slack_enabled:
        from bot.slack.mount import mount_slack

        mount_slack(app, svc)
    _time_requests(app)
    return app


def _time_requests(app: FastAPI) -> None:
    @app.middleware("http")
    async def timing(request: Request, call_next: object) -> Response:
        start = time.perf_counter()
        response: Response = await call_next(request)  # type: ignore[operator]
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        app.state.metrics.requests.labels(request.method, path, str(response.status_code)).observe(
            time.perf_counter() - start)
        return response
