"""Operational endpoints: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from bot.api.deps import ServicesDep
from bot.flow.context import Services
from bot.store import due, migrate
from bot.store.db import ping, read_scope

log = structlog.get_logger(__name__)
router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


def _readiness(svc: Services, slack_check: object) -> dict[str, str]:
    checks: dict[str, str] = {}
    try:
        ping(svc.engine)
        checks["database"] = "ok"
        checks["migrations"] = "ok" if migrate.is_current(svc.engine) else "pending: run `countersign migrate`"
    except Exception as exc:  # noqa: BLE001 - readiness reports every problem instead of failing on the first
        checks["database"] = f"unreachable: {str(exc).splitlines()[0]}"
    if callable(slack_check):
        checks["slack"] = slack_check()
    else:
        checks["slack"] = "not configured"
    return checks


@router.get("/readyz")
async def readyz(request: Request, svc: ServicesDep) -> JSONResponse:
    """Database reachable, migrations current, Slack auth ok (503 listing what is not)."""
    checks = await run_in_threadpool(_readiness, svc, getattr(request.app.state, "slack_check", None))
    ready = all(v in {"ok", "not configured"} for v in checks.values())
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


def _refresh_backlog(request: Request, svc: Services) -> None:
    metrics = request.app.state.metrics
    metrics.due_backlog.clear()
    with read_scope(svc.engine) as s:
        for key, count in due.backlog(session=s).items():
            kind, state = key.split(":")
            metrics.due_backlog.labels(kind, state).set(count)


@router.get("/metrics")
async def metrics(request: Request, svc: ServicesDep) -> Response:
    """Prometheus exposition."""
    try:
        await run_in_threadpool(_refresh_backlog, request, svc)
    except Exception as exc:  # noqa: BLE001 - metrics must still answer while the database is down
        log.warning("metrics: could not read the due-work backlog", error=str(exc).splitlines()[0])
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
