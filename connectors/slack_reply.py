"""Post the approved text as a reply in a Slack thread."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from connectors.base import ConnectorConfig, ConnectorContext, ConnectorError, Result


def escape(text: object) -> str:
    """Slack's mrkdwn escaping (& first): the agent's text can never become a mention, broadcast or link."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# Slack answers these when the failure is on its side or momentary; everything else needs a human.
_TEMPORARY = {"ratelimited", "internal_error", "service_unavailable", "fatal_error", "request_timeout"}
_TS = re.compile(r"^\d+\.\d+$")
_MAX_TEXT = 40_000  # Slack truncates longer text


def _single_attempt(client: Any) -> Any:
    # The lent client may carry retry handlers that sleep or re-post; the outbox owns retries,
    # and a blind re-post after a reset would duplicate the reply.
    if not isinstance(client, WebClient):
        return client
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        headers=dict(client.headers),
        retry_handlers=[],
    )


class SlackReplyConnector:
    """One chat.postMessage per execution, tagged with the idempotency key in message metadata."""

    name: ClassVar[str] = "slack_reply"
    executes_remotely: ClassVar[bool] = False

    class Config(ConnectorConfig):
        channel: str | None = None

    def __init__(self, config: Config, context: ConnectorContext) -> None:
        self.config, self.context = config, context

    def problems(self, action: str, payload: dict[str, Any]) -> list[tuple[str, str]]:
        """Why this payload cannot be posted, before anything is sent."""
        found: list[tuple[str, str]] = []
        channel = payload.get("channel") or self.config.channel
        if not isinstance(channel, str) or not channel:
            found.append(("channel", "is required (no default channel is configured)"))
        thread_ts = payload.get("thread_ts")
        if not isinstance(thread_ts, str) or not _TS.match(thread_ts):
            found.append(("thread_ts", "must be a Slack message timestamp like 1712345678.123456"))
        text = payload.get("text")
        if not isinstance(text, str) or not text.strip():
            found.append(("text", "is required"))
        elif len(escape(text)) > _MAX_TEXT:
            found.append(("text", f"is longer than {_MAX_TEXT} characters; Slack would truncate it"))
        return found

    def execute(self, action: str, payload: dict[str, Any], idempotency_key: str) -> Result:
        """Post once; rate limits, Slack outages and network errors are retryable."""
        if self.context.slack_client is None:
            raise ConnectorError("Slack is not configured", retryable=False)
        found = self.problems(action, payload)
        if found:
            listed = "; ".join(f"{path}: {msg}" for path, msg in found)
            raise ConnectorError(f"slack_reply payload invalid: {listed}", retryable=False, problems=found)
        channel = payload.get("channel") or self.config.channel
        client = _single_attempt(self.context.slack_client)
        try:
            response = client.chat_postMessage(
                channel=channel,
                thread_ts=payload["thread_ts"],
                text=escape(payload["text"]),
                metadata={"event_type": "countersign_execution", "event_payload": {"idempotency_key": idempotency_key}},
            )
        except SlackApiError as exc:
            raise _api_error(exc, str(channel)) from exc
        except OSError as exc:  # refused, reset, timed out, DNS (urllib raises these as OSError)
            raise ConnectorError(f"Slack unreachable: {str(exc) or type(exc).__name__}", retryable=True) from exc
        except SlackClientError as exc:  # bad URL, proxy or arguments: retrying cannot help
            raise ConnectorError(f"Slack client error: {exc}", retryable=False) from exc
        return Result(
            summary=f"replied in thread {payload['thread_ts']} of {channel}",
            data={"channel": response.get("channel", channel), "ts": response.get("ts")},
        )


def _api_error(exc: SlackApiError, channel: str) -> ConnectorError:
    status = exc.response.status_code
    error = str(exc.response.get("error") or f"HTTP {status}")
    details: dict[str, Any] = {"slack_error": error, "status": status}
    if status == 429 or error == "ratelimited":
        headers = {k.lower(): v for k, v in (exc.response.headers or {}).items()}
        wait = headers.get("retry-after")
        if wait and str(wait).strip().isdigit():
            details["retry_after"] = float(wait)
        return ConnectorError(f"Slack rate limited chat.postMessage ({error})", retryable=True, **details)
    retryable = status >= 500 or error in _TEMPORARY
    return ConnectorError(f"Slack refused the reply in {channel}: {error}", retryable=retryable, **details)
