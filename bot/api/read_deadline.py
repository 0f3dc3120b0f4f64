"""A total deadline for reading a request body: a client trickling its body gets 408 and the connection closes.

Request heads are bounded in the server protocol (bot/serving.py). The clock starts when the app receives the
request (its head has arrived) and stops once the last body chunk is read: long-polls and responses that wait
for a disconnect are not affected."""

from __future__ import annotations

import asyncio

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class _BodyTooSlow(Exception):
    pass


class ReadDeadline:
    """ASGI middleware: the body must arrive within `seconds` of the request starting."""

    def __init__(self, app: ASGIApp, *, seconds: float) -> None:
        self.app, self.seconds = app, seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline, body_done, started = loop.time() + self.seconds, False, False

        async def timed_receive() -> Message:
            nonlocal body_done
            if body_done:
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise _BodyTooSlow from None
            body_done = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, timed_receive, tracking_send)
        except _BodyTooSlow:
            if started:
                raise
            unit = "second" if self.seconds == 1 else "seconds"
            error = f"the request body did not arrive within {self.seconds:g} {unit}"
            response = JSONResponse(
                {"error": error, "code": "RequestTimeout"}, status_code=408, headers={"Connection": "close"}
            )
            await response(scope, receive, send)
