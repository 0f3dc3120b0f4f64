"""Authentication before the body's shape: a bad token with a malformed body gets 401, never field errors."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from bot.flow.agents import authenticate


class AuthFirstRoute(APIRoute):
    """FastAPI validates the body before any dependency runs; on a validation error, authenticate first.

    Valid requests are untouched (they still authenticate once, inside the endpoint), so only refused requests
    pay for the extra check; what a caller without a valid token learns is "401", not the API's field rules.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def authenticated_first(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError:
                svc = request.app.state.services
                await run_in_threadpool(authenticate, svc, request.headers.get("authorization"))
                raise

        return authenticated_first
