"""FakeSlack: a real HTTP server speaking the Slack Web API, response_url and upload wire formats."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Self

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.fakeslack.calllog import CallLog
from bot.fakeslack.faults import FaultControls, Faults
from bot.fakeslack.methods import METHODS, Ctx
from bot.fakeslack.queries import Queries
from bot.fakeslack.responses import apply_response_url
from bot.fakeslack.serve import BackgroundServer
from bot.fakeslack.state import Workspace
from bot.fakeslack.wire import SlackError, parse_args, upload_bytes

if TYPE_CHECKING:
    from bot.fakeslack.driver import SlackDriver

DEFAULT_SCOPES = (
    "chat:write",
    "commands",
    "users:read",
    "usergroups:read",
    "app_mentions:read",
    "files:write",
    "channels:read",
    "groups:read",
    "im:write",
    "chat:write.public",
)


def epoch_clock(clock: Callable[[], float] | Any) -> Callable[[], float]:
    """Epoch seconds from a callable, or from a bot.clock.Clock (`now()` -> aware datetime) shared with the app."""
    if callable(clock):
        return clock
    return lambda: clock.now().timestamp()


class FakeSlack(Queries, FaultControls, CallLog):
    """`with FakeSlack(secret, users=..., channels=...) as slack:` then point WebClient at `slack.api_url`."""

    def __init__(
        self,
        signing_secret: str,
        bot_token: str = "xoxb-fake",
        *,
        user_id: str = "UBOT",
        bot_id: str = "BBOT",
        team_id: str = "T0FAKE",
        team_domain: str = "fake",
        app_id: str = "A0FAKE",
        bot_name: str = "countersign",
        scopes: Iterable[str] = DEFAULT_SCOPES,
        users: dict[str, dict[str, Any]] | None = None,
        usergroups: dict[str, Any] | None = None,
        channels: dict[str, dict[str, Any]] | None = None,
        clock: Callable[[], float] | Any = time.time,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.signing_secret = signing_secret
        self.bot_token = bot_token
        self.scopes = frozenset(scopes)
        self.clock = clock = epoch_clock(clock)
        self.verification_token = "fake-verification-token"  # legacy field Slack still puts in payloads
        self.ws = Workspace(
            team_id=team_id,
            team_domain=team_domain,
            app_id=app_id,
            bot_user_id=user_id,
            bot_id=bot_id,
            bot_name=bot_name,
            users=users or {},
            usergroups=usergroups or {},
            channels=channels or {},
            clock=clock,
        )
        self.faults = Faults(clock)
        CallLog.__init__(self, clock)
        self._server = BackgroundServer(self._asgi(), host=host, port=port)

    # ---- lifecycle
    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT (valid after start)."""
        return self._server.url

    @property
    def api_url(self) -> str:
        """What the app uses as SLACK_API_URL / WebClient(base_url=...)."""
        return f"{self._server.url}/api/"

    def start(self) -> Self:
        """Serve on a background thread."""
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving (state stays inspectable)."""
        self._server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- HTTP
    def _asgi(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/api/{method}", self._api, methods=["GET", "POST"]),
                Route("/response/{rid}", self._response_url, methods=["POST"]),
                Route("/_upload/{file_id}", self._upload, methods=["POST"]),
                Route("/_fake/state", lambda _: JSONResponse(self.snapshot()), methods=["GET"]),
                Route("/archives/{channel}/{p}", self._archive_link, methods=["GET"]),
            ]
        )

    async def _fault(self, name: str) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        """Apply the planned fault for `name`: stall, then maybe an error response."""
        fault = self.faults.before(name)
        if fault is None:
            return None
        if fault.delay:
            await asyncio.sleep(fault.delay)
        return fault.response() if fault.status else None

    async def _api(self, request: Request) -> Response:
        name = request.path_params["method"]
        body = await request.body()
        args: dict[str, Any] = {}
        try:
            args = parse_args(request.url.query, body, request.headers.get("content-type", ""))
            token = args.pop("token", None)
            planned = await self._fault(name)
            status, payload, headers = planned or self._dispatch(name, args, request, token)
        except SlackError as exc:
            status, payload, headers = exc.status, exc.body(), exc.headers
        self._log(name, args, status, payload)
        return JSONResponse(payload, status_code=status, headers=headers)

    def _dispatch(
        self, name: str, args: dict[str, Any], request: Request, token: Any
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Auth, method lookup, scopes, rate limit, then the handler under the workspace lock."""
        auth = request.headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else token
        if not token:
            raise SlackError("not_authed")
        if token != self.bot_token:
            raise SlackError("invalid_auth")
        spec = METHODS.get(name)
        if spec is None:
            raise SlackError("unknown_method", req_method=name)
        ctx = Ctx(self.ws, args, self.scopes, self.base_url)
        ctx.require_scope(*spec.scopes)
        throttled = self.faults.throttle(name, args.get("channel"))
        if throttled:
            return throttled.response()
        with self.ws.lock:
            data = spec.handler(ctx)
        return 200, {"ok": True, **data}, ctx.headers

    async def _response_url(self, request: Request) -> Response:
        raw = await request.body()
        try:
            body: Any = json.loads(raw or b"null")
        except ValueError:
            body = None
        planned = await self._fault("response_url")
        if planned:
            status, text = planned[0], planned[1]["error"]
        else:
            with self.ws.lock:
                rec = self.ws.response_urls.get(request.path_params["rid"])
                status, text = (404, "no_service") if rec is None else apply_response_url(self.ws, rec, body)
        self._log("response_url", {"id": request.path_params["rid"], "body": body}, status, text)
        return PlainTextResponse(text, status_code=status)

    async def _upload(self, request: Request) -> Response:
        data = upload_bytes(await request.body(), request.headers.get("content-type", ""))
        planned = await self._fault("upload")
        file_id = request.path_params["file_id"]
        with self.ws.lock:
            rec = self.ws.files.get(file_id)
            if planned:
                status, text = planned[0], planned[1]["error"]
            elif rec is None or rec.content is not None:
                status, text = 404, "file_not_found"
            else:
                rec.content = data
                status, text = 200, f"OK - {len(data)}"
        self._log("upload", {"file_id": file_id, "bytes": len(data)}, status, text)
        return PlainTextResponse(text, status_code=status)

    async def _archive_link(self, request: Request) -> Response:
        p, cid = request.path_params["p"], request.path_params["channel"]
        ts = f"{p[1:-6]}.{p[-6:]}"
        with self.ws.lock:
            ch = self.ws.channels.get(cid)
            msg = ch.messages.get(ts) if ch else None
            if msg is None:
                return PlainTextResponse("message_not_found", status_code=404)
            return JSONResponse(msg.to_api(self.ws.team_id))

    def response_url(
        self, user: str, channel: str | None, message_ts: str | None = None, is_ephemeral: bool = False
    ) -> str:
        """A fresh response_url on this server (5 uses, 30 minutes by the fake's clock)."""
        with self.ws.lock:
            rid = self.ws.issue_response_url(user, channel, message_ts, is_ephemeral)
        return f"{self.base_url}/response/{rid}"

    def driver(self, app_url: str, **kwargs: Any) -> SlackDriver:
        """A SlackDriver sending signed requests to the app at `app_url`."""
        from bot.fakeslack.driver import SlackDriver  # the driver imports this module

        return SlackDriver(app_url, self.signing_secret, self, **kwargs)
