"""The sandbox page: one static HTML file, the workspace as JSON, and endpoints that act as a person in Slack.

Every action goes through SlackDriver, so the service receives exactly what Slack would send: signed
block_actions, view_submission, slash commands and app_mention events.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import re
from collections.abc import Awaitable, Callable
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from bot.fakeslack import DriverError
from bot.fakeslack.wire import SlackError

if TYPE_CHECKING:
    from bot.sandbox.runner import Sandbox

BOT_MENTION = re.compile(r"@countersign\b", re.IGNORECASE)
COMMANDS = ("/approvals",)  # the slash commands the app's manifest declares
Handler = Callable[["Sandbox", dict[str, Any]], dict[str, Any]]


def build_page(sandbox: Sandbox) -> Starlette:
    """The page's ASGI app; it only answers on localhost names (no DNS rebinding from other sites)."""
    index = files("bot.sandbox").joinpath("static/index.html").read_text(encoding="utf-8")
    host = sandbox.config.host
    routes = [
        Route("/", lambda _: HTMLResponse(index, headers={"Cache-Control": "no-store"}), methods=["GET"]),
        Route("/favicon.ico", lambda _: Response(status_code=204), methods=["GET"]),
        Route("/api/state", _state(sandbox), methods=["GET"]),
        Route("/api/files/{file_id}", _file(sandbox), methods=["GET"]),
        *[Route(f"/api/{name}", _action(sandbox, fn), methods=["POST"]) for name, fn in ACTIONS.items()],
    ]
    # Bound to a wider interface on purpose (--host 0.0.0.0): then any Host is accepted.
    hosts = sorted({"127.0.0.1", "localhost", host}) if host in ("127.0.0.1", "localhost", "::1") else ["*"]
    return Starlette(routes=routes, middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts)])


def _state(sandbox: Sandbox) -> Callable[[Request], Awaitable[Response]]:
    async def state(request: Request) -> Response:
        """The fake workspace, open modals with their inline errors, and what happened outside Slack."""
        slack = sandbox.slack
        assert slack is not None
        with slack.ws.lock:
            workspace = slack.snapshot()
            workspace["view_errors"] = {v.id: v.errors for v in slack.ws.views.values() if v.errors}
        body = json.dumps({"workspace": workspace, "sandbox": sandbox.outside()}, default=str).encode()
        etag = '"' + hashlib.sha1(body).hexdigest() + '"'
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers={"ETag": etag})
        return Response(body, media_type="application/json", headers={"ETag": etag, "Cache-Control": "no-cache"})

    return state


def _file(sandbox: Sandbox) -> Callable[[Request], Awaitable[Response]]:
    async def file(request: Request) -> Response:
        """An uploaded file's bytes (the digest chart)."""
        assert sandbox.slack is not None
        with sandbox.slack.ws.lock:
            rec = sandbox.slack.ws.files.get(request.path_params["file_id"])
            content = rec.content if rec else None
            name = rec.filename if rec else ""
        if content is None:
            return JSONResponse({"error": "no such file"}, status_code=404)
        return Response(content, media_type=mimetypes.guess_type(name)[0] or "application/octet-stream")

    return file


def _action(sandbox: Sandbox, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def act(request: Request) -> Response:
        # JSON only: a plain HTML form on another site cannot send it without a CORS preflight.
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return JSONResponse({"error": "send application/json"}, status_code=415)
        try:
            body = await request.json()
            if not isinstance(body, dict) or body.get("user") not in sandbox.seed.users:
                return JSONResponse({"error": "pick a person from the workspace first"}, status_code=400)
            return JSONResponse(await run_in_threadpool(handler, sandbox, body))
        except (DriverError, KeyError, TypeError, ValueError) as exc:
            return JSONResponse({"error": str(exc).strip("'\"")}, status_code=400)
        except SlackError as exc:
            return JSONResponse({"error": exc.error}, status_code=400)

    return act


def _answered(resp: Any) -> dict[str, Any]:
    ok = resp.status == 200
    return {"ok": ok, "status": resp.status, **({} if ok else {"error": f"the app answered HTTP {resp.status}"})}


def click(sandbox: Sandbox, body: dict[str, Any]) -> dict[str, Any]:
    """A button in a message (channel + ts) or in a modal / Home tab (view_id)."""
    driver, user = sandbox.driver, body["user"]
    assert driver is not None
    kwargs = {"value": body.get("value"), "block_id": body.get("block_id")}
    if body.get("view_id"):
        return _answered(driver.click_in_view(str(body["view_id"]), str(body["action_id"]), user, **kwargs))
    return _answered(driver.click(str(body["channel"]), str(body["ts"]), str(body["action_id"]), user, **kwargs))


def submit(sandbox: Sandbox, body: dict[str, Any]) -> dict[str, Any]:
    """Submit the person's top modal; answers whether it closed and the inline errors Slack would show."""
    assert sandbox.driver is not None
    assert sandbox.slack is not None
    view_id = str(body["view_id"])
    values = body.get("values") or {}
    if not isinstance(values, dict):
        raise TypeError("values must be an object")
    resp = sandbox.driver.submit_view(body["user"], view_id, values)
    with sandbox.slack.ws.lock:
        view = sandbox.slack.ws.views.get(view_id)
        still_open = view is not None and view_id in sandbox.slack.ws.stacks.get(body["user"], [])
        errors = dict(view.errors) if view and still_open else {}
    return {**_answered(resp), "closed": not still_open, "errors": errors}


def close(sandbox: Sandbox, body: dict[str, Any]) -> dict[str, Any]:
    """Cancel the person's top modal."""
    assert sandbox.driver is not None
    sandbox.driver.close_view(body["user"], str(body["view_id"]))
    return {"ok": True}


def command(sandbox: Sandbox, body: dict[str, Any]) -> dict[str, Any]:
    """A slash command typed in a channel."""
    assert sandbox.driver is not None
    name = str(body.get("command", "")).strip().lower()
    if name not in COMMANDS:
        raise ValueError(f"{name or 'that'} is not a command of this workspace; try {', '.join(COMMANDS)}")
    return _answered(sandbox.driver.command(name, body["user"], str(body["channel"]), str(body.get("text", ""))))


def message(sandbox: Sandbox, body: dict[str, Any]) -> dict[str, Any]:
    """A message typed by the person; mentioning @Countersign sends app_mention, as Slack does."""
    assert sandbox.driver is not None
    assert sandbox.slack is not None
    text = str(body.get("text", "")).strip()
    if not text:
        raise ValueError("type a message first")
    # People's text reaches apps escaped; only the bot mention becomes a real <@…> token.
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    channel, thread = str(body["channel"]), body.get("thread_ts") or None
    if BOT_MENTION.search(escaped):
        mention = f"<@{sandbox.slack.ws.bot_user_id}>"
        return _answered(sandbox.driver.mention(channel, body["user"], BOT_MENTION.sub(mention, escaped), thread))
    sandbox.slack.post_as_user(channel, body["user"], escaped, thread)
    return {"ok": True}


def home(sandbox: Sandbox, body: dict[str, Any]) -> dict[str, Any]:
    """The person opens the app's Home tab (app_home_opened; the app publishes it)."""
    assert sandbox.driver is not None
    return _answered(sandbox.driver.home_opened(body["user"]))


ACTIONS: dict[str, Handler] = {
    "click": click,
    "submit": submit,
    "close": close,
    "command": command,
    "message": message,
    "home": home,
}
