"""Audit export for SIEMs: the hash-chained audit log streamed to a caller holding COUNTERSIGN_ADMIN_TOKEN."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from bot.api.deps import BearerHeader, ServicesDep
from bot.api.problems import ERROR_RESPONSES
from bot.audit.export import MEDIA_TYPES, Format, export, parse_when
from bot.errors import CountersignError, NotAuthenticated, NotAuthorized
from bot.flow.context import Services

router = APIRouter(prefix="/api/v1/audit", tags=["audit"], responses=ERROR_RESPONSES)


def require_admin(svc: Services, authorization: str | None) -> None:
    """Raise unless the bearer token is COUNTERSIGN_ADMIN_TOKEN (403 when no admin token is configured)."""
    expected = svc.settings.admin_token
    if not expected:
        raise NotAuthorized("audit export over the API is off: set COUNTERSIGN_ADMIN_TOKEN on the service")
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("missing bearer token: send 'Authorization: Bearer <COUNTERSIGN_ADMIN_TOKEN>'")
    if not hmac.compare_digest(token.strip().encode(), expected.strip().encode()):
        raise NotAuthenticated("not the admin token: audit export needs COUNTERSIGN_ADMIN_TOKEN, not an agent token")


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={200: {"description": "One event per line (CSV: after a header line)", "content": {}}},
)
def export_audit(
    svc: ServicesDep,
    authorization: BearerHeader = None,
    since: Annotated[str | None, Query(description="Date or ISO 8601 time (UTC if no offset), inclusive")] = None,
    until: Annotated[str | None, Query(description="Date or ISO 8601 time, exclusive")] = None,
    format: Annotated[Format, Query(description="jsonl, csv or ocsf (OCSF 1.3.0 API Activity)")] = Format.jsonl,
) -> StreamingResponse:
    """Stream the audit log in [since, until) with its hash chain fields (seq, prev_hash, hash)."""
    require_admin(svc, authorization)
    try:
        start = parse_when(since, name="since") if since else None
        end = parse_when(until, name="until") if until else None
    except ValueError as exc:
        raise CountersignError(str(exc)) from None
    # A sync generator: Starlette reads it on a worker thread, one batch of rows at a time.
    return StreamingResponse(export(svc.engine, format, start, end), media_type=MEDIA_TYPES[format])
