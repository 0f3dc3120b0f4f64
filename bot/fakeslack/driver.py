"""SlackDriver: plays Slack's side towards the app — signed events, interactions and slash commands."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

from bot.fakeslack import envelopes
from bot.fakeslack.payloads import DriverError, action, find_element, state_values
from bot.fakeslack.records import Ephemeral, Message, View
from bot.fakeslack.responses import apply_reply
from bot.fakeslack.viewacks import apply_submission_ack

if TYPE_CHECKING:
    from bot.fakeslack.server import FakeSlack

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


@dataclass
class AppResponse:
    """The app's HTTP answer plus what was sent (for retry())."""

    status: int
    headers: dict[str, str]
    text: str
    request_body: str
    payload: Any = None  # the payload / envelope / form fields sent
    ack: Any = field(default=None)  # parsed view_submission ack, when applied

    @property
    def json(self) -> Any:
        """The body parsed as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.text) if self.text.strip() else None
        except ValueError:
            return None


class SlackDriver:
    """Send to `{app_url}/slack/events` exactly as Slack does (content types, v0 signatures)."""

    def __init__(
        self,
        app_url: str,
        signing_secret: str,
        slack: FakeSlack,
        *,
        path: str = "/slack/events",
        clock: Callable[[], float] = time.time,
        timeout: float = 10.0,
    ) -> None:
        self.url = app_url.rstrip("/") + path
        self.slack = slack
        self.ws = slack.ws
        self.clock = clock  # signing time: the app checks it against its own clock, not the fake's
        self._verifier = SignatureVerifier(signing_secret)
        self._http = httpx.Client(timeout=timeout)

    def close(self) -> None:
        """Close the HTTP client."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- transport
    def send_raw(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: str | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> AppResponse:
        """POST a body signed now (or with the given timestamp/signature, to forge or replay)."""
        ts = timestamp if timestamp is not None else str(int(self.clock()))
        sig = signature if signature is not None else self._verifier.generate_signature(timestamp=ts, body=body)
        sent = {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig or ""}
        resp = self._http.post(self.url, content=body.encode("utf-8"), headers={**sent, **(headers or {})})
        return AppResponse(resp.status_code, dict(resp.headers), resp.text, body)

    def _interactive(self, payload: dict[str, Any]) -> AppResponse:
        resp = self.send_raw(urlencode({"payload": json.dumps(payload)}), FORM)
        resp.payload = payload
        return resp

    # ---- messages
    def click(
        self, channel: str, ts: str, action_id: str, user: str, *, value: Any = None, block_id: str | None = None
    ) -> AppResponse:
        """block_actions from an element of a stored message (or the user's ephemeral message)."""
        with self.ws.lock:
            msg = self._seen_message(channel, ts, user)
        return self.click_rendering(channel, msg, action_id, user, value=value, block_id=block_id)

    def click_rendering(
        self,
        channel: str,
        msg: Message | Ephemeral,
        action_id: str,
        user: str,
        *,
        value: Any = None,
        block_id: str | None = None,
    ) -> AppResponse:
        """block_actions from a rendering of a message the user's client may still show (a copy kept by the test,
        e.g. before the message was updated): Slack does not stop a click on a stale screen."""
        with self.ws.lock:
            bid, el = find_element(msg.blocks, action_id, block_id=block_id, value=value)
            ch = self.ws.channel(channel)
            is_eph = isinstance(msg, Ephemeral)
            container = {"type": "message", "message_ts": msg.ts, "channel_id": ch.id, "is_ephemeral": is_eph}
            if msg.thread_ts:
                container["thread_ts"] = msg.thread_ts
            payload = {
                **envelopes.interaction_base(self.slack, "block_actions", user),
                "trigger_id": self.ws.issue_trigger(user),
                "container": container,
                "channel": {"id": ch.id, "name": ch.name},
                "state": {"values": {}},
                "response_url": self.slack.response_url(user, ch.id, msg.ts, is_eph),
                "actions": [action(el, bid, value, self.ws.new_ts())],
            }
            if isinstance(msg, Message):  # Slack omits the message body for ephemeral sources
                payload["message"] = msg.to_api(self.ws.team_id)
        return self._interactive(payload)

    def _seen_message(self, channel: str, ts: str, user: str) -> Message | Ephemeral:
        ch = self.ws.channel(channel)
        if (ch.is_private or ch.is_im) and user not in ch.members:
            raise DriverError(f"{user} cannot see {channel}")
        msg = ch.messages.get(ts)
        if msg is not None and not msg.deleted:
            return msg
        for eph in self.ws.ephemerals:
            if eph.channel == ch.id and eph.ts == ts and eph.user == user and not eph.deleted:
                return eph
        raise DriverError(f"no message {ts} visible to {user} in {channel}")

    # ---- views
    def click_in_view(
        self,
        view_id: str,
        action_id: str,
        user: str,
        *,
        value: Any = None,
        block_id: str | None = None,
        values: dict[str, Any] | None = None,
    ) -> AppResponse:
        """block_actions from an element inside an open modal or Home tab (no channel/message/response_url)."""
        with self.ws.lock:
            view = self.ws.views.get(view_id)
            if view is None or view.user != user:
                raise DriverError(f"view {view_id} is not open for {user}")
            bid, el = find_element(view.blocks, action_id, block_id=block_id, value=value)
            payload = {
                **envelopes.interaction_base(self.slack, "block_actions", user),
                "trigger_id": self.ws.issue_trigger(user),
                "container": {"type": "view", "view_id": view.id},
                "view": view.to_api(state_values(view.blocks, values or {}, enforce_required=False)),
                "actions": [action(el, bid, value, self.ws.new_ts())],
            }
        return self._interactive(payload)

    def click_home(self, user: str, action_id: str, *, value: Any = None, block_id: str | None = None) -> AppResponse:
        """block_actions from the user's Home tab."""
        home = self.slack.home(user)
        if home is None:
            raise DriverError(f"{user} has no Home tab published")
        return self.click_in_view(home.id, action_id, user, value=value, block_id=block_id)

    def submit_view(self, user: str, view_id: str | None = None, values: dict[str, Any] | None = None) -> AppResponse:
        """view_submission of the user's top modal; the app's ack is applied to the view stack."""
        with self.ws.lock:
            view = self._open_view(user, view_id)
            payload = {
                **envelopes.interaction_base(self.slack, "view_submission", user),
                "trigger_id": self.ws.issue_trigger(user),
                "view": view.to_api(state_values(view.blocks, values or {}, enforce_required=True)),
                "response_urls": [],
            }
        resp = self._interactive(payload)
        with self.ws.lock:
            resp.ack = apply_submission_ack(self.ws, view, resp.status, resp.text)
        return resp

    def close_view(self, user: str, view_id: str | None = None) -> AppResponse | None:
        """The user closes the top modal; view_closed is sent only when notify_on_close."""
        with self.ws.lock:
            view = self._open_view(user, view_id)
            clear = bool(view.body.get("clear_on_close"))
            self.ws.close_views(user, all_views=clear)
            if not view.body.get("notify_on_close"):
                return None
            payload = {
                **envelopes.interaction_base(self.slack, "view_closed", user),
                "view": view.to_api(),
                "is_cleared": clear,
            }
        return self._interactive(payload)

    def _open_view(self, user: str, view_id: str | None) -> View:
        stack = self.ws.stack(user)
        if not stack or (view_id and stack[-1].id != view_id):
            raise DriverError(f"{user} has no open modal {view_id or ''}".strip())
        return stack[-1]

    # ---- slash commands and events
    def command(self, command: str, user: str, channel: str, text: str = "") -> AppResponse:
        """A slash command; a non-empty ack is shown like Slack does (ephemeral unless in_channel)."""
        with self.ws.lock:
            fields = envelopes.command_fields(self.slack, command, user, channel, text)
        resp = self.send_raw(urlencode(fields), FORM)
        resp.payload = fields
        if resp.status == 200 and resp.text.strip():
            body = resp.json if isinstance(resp.json, dict) else {"text": resp.text}
            with self.ws.lock:
                status, error = apply_reply(
                    self.ws,
                    user=user,
                    channel=fields["channel_id"],
                    message_ts=None,
                    is_ephemeral=False,
                    body=body,
                    surface="ack",
                )
                if status != 200:
                    self.ws.problems.append(f"{command} ack refused: {error}")
        return resp

    def mention(self, channel: str, user: str, text: str, thread_ts: str | None = None) -> AppResponse:
        """A user @-mentions the app: the message is stored in the channel and app_mention is sent."""
        with self.ws.lock:
            event = envelopes.mention_event(self.slack, channel, user, text, thread_ts)
        return self.event(event)

    def event(self, event: dict[str, Any]) -> AppResponse:
        """Any Events API event wrapped in an event_callback envelope with a fresh event_id."""
        with self.ws.lock:
            envelope = envelopes.event_callback(self.slack, event)
        return self._event_body(envelope)

    def home_opened(self, user: str) -> AppResponse:
        """app_home_opened for the Home tab (with the current home view when published)."""
        with self.ws.lock:
            event = envelopes.home_opened_event(self.slack, user)
        return self.event(event)

    def url_verification(self, challenge: str) -> AppResponse:
        """The Request URL handshake (signed, like every request)."""
        return self._event_body(
            {"token": self.slack.verification_token, "challenge": challenge, "type": "url_verification"}
        )

    def retry(self, last: AppResponse | dict[str, Any], num: int = 1, reason: str = "http_timeout") -> AppResponse:
        """Redeliver the same envelope (same event_id) with X-Slack-Retry-Num/Reason, freshly signed."""
        body = last.request_body if isinstance(last, AppResponse) else json.dumps(last)
        headers = {"X-Slack-Retry-Num": str(num), "X-Slack-Retry-Reason": reason}
        resp = self.send_raw(body, JSON, headers=headers)
        resp.payload = json.loads(body)
        return resp

    def _event_body(self, envelope: dict[str, Any]) -> AppResponse:
        resp = self.send_raw(json.dumps(envelope), JSON)
        resp.payload = envelope
        return resp
