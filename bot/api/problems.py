"""Every API error is JSON with a precise message; never a stack trace."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.errors import CountersignError, TooManyRequests
from bot.store.db import is_unavailable
from bot.words import plural

log = structlog.get_logger(__name__)
DB_RETRY_AFTER_SECONDS = 5


class ErrorBody(BaseModel):
    error: str
    code: str
    errors: list[dict[str, Any]] | None = None


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in [
        (401, "Missing, unknown or revoked token"),
        (403, "Outside the token's scopes"),
        (404, "Unknown workflow, action or proposal"),
        (409, "Conflict with stored state"),
        (413, "Body too large"),
        (415, "Body is not JSON"),
        (422, "Invalid request shape"),
        (429, "Too many long-polls open for this agent; retry after the Retry-After header"),
        (503, "Database unavailable; retry after the Retry-After header"),
    ]
}


def _body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": message, "code": code, **{k: v for k, v in extra.items() if v is not None}}


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [str(x) for x in err.get("loc", ()) if x != "body"]
        out.append({"loc": loc, "msg": err.get("msg", "invalid"), "type": err.get("type")})
    return out


def install(app: FastAPI) -> None:
    """Register the error handlers on the app."""

    @app.exception_handler(CountersignError)
    async def domain_error(_: Request, exc: CountersignError) -> JSONResponse:
        details = {k: v for k, v in exc.details.items() if isinstance(v, str | int | float | list | tuple)}
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
        return JSONResponse(
            _body(type(exc).__name__, exc.message, **details), status_code=exc.status_code, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_shape(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        return JSONResponse(
            _body("InvalidRequest", plural(len(errors), "invalid field"), errors=errors), status_code=422
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(_body("HTTPError", str(exc.detail)), status_code=exc.status_code, headers=exc.headers)

    # Database errors get a handler of their own: Starlette re-raises whatever reaches the catch-all below after
    # answering, so uvicorn would log a traceback for each request of an outage and drop the connection.
    @app.exception_handler(SQLAlchemyError)
    async def database_error(request: Request, exc: SQLAlchemyError) -> JSONResponse:
        if is_unavailable(exc):
            log.warning("database unavailable", path=request.url.path, error=str(exc).splitlines()[0])
            return JSONResponse(
                _body("DatabaseUnavailable", "the database is unavailable; try again shortly"),
                status_code=503,
                headers={"Retry-After": str(DB_RETRY_AFTER_SECONDS)},
            )
        return _incident(request)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        if is_unavailable(exc):  # pool timeouts wrapped in something else, say
            return await database_error(request, exc)  # type: ignore[arg-type]
        return _incident(request)


def _incident(request: Request) -> JSONResponse:
    """Log the exception being handled with an id, and answer 500 with that id."""
    incident = uuid.uuid4().hex[:12]
    log.exception("unhandled error", path=request.url.path, incident=incident)
    return JSONResponse(
        _body("InternalError", f"internal error; quote incident {incident} to the operator"), status_code=500
    )


class BodyGuard:
    """ASGI middleware for /api/: 415 unless JSON, 413 past the size limit (checked while streaming)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, prefix: str = "/api/") -> None:
        self.app, self.max_bytes, self.prefix = app, max_bytes, prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in {"POST", "PUT", "PATCH"}
            or not scope["path"].startswith(self.prefix)
        ):
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(send, 413, "BodyTooLarge", f"body is larger than {self.max_bytes} bytes")
            return
        has_body = (declared not in {None, "0"}) or "transfer-encoding" in headers
        media = headers.get("content-type", "").split(";")[0].strip().lower()
        if has_body and media != "application/json" and not media.endswith("+json"):
            await self._reject(
                send, 415, "UnsupportedMediaType", "send the body as JSON (Content-Type: application/json)"
            )
            return
        body = await self._read_limited(receive)
        if body is None:  # chunked uploads carry no Content-Length; the limit holds while reading
            await self._reject(send, 413, "BodyTooLarge", f"body is larger than {self.max_bytes} bytes")
            return
        await self.app(scope, _replay(body), send)

    async def _read_limited(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"".join(chunks)
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body"):
                return b"".join(chunks)

    async def _reject(self, send: Send, status: int, code: str, message: str) -> None:
        response = JSONResponse(_body(code, message), status_code=status)
        await response({"type": "http"}, _no_receive, send)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}
