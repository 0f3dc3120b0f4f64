"""POST the approved action as HMAC-signed JSON to the user's own endpoint."""

from __future__ import annotations

import json
import time
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx
from pydantic import Field, field_validator

from bot import targets
from connectors import _http
from connectors.base import ConnectorConfig, ConnectorContext, Result, current_receipt
from connectors.verify import IDEMPOTENCY_HEADER, RECEIPT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

_RESERVED = {
    h.lower() for h in ("Content-Type", IDEMPOTENCY_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER, RECEIPT_HEADER)
}
_BODY_CHARS = 2000


def encode_body(action: str, payload: dict[str, Any], idempotency_key: str) -> bytes:
    """The exact bytes that are signed and sent: compact, sorted keys, ASCII-only."""
    document = {"action": action, "payload": payload, "idempotency_key": idempotency_key}
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


class WebhookConnector:
    """Sends one signed POST per execution; the outbox retries with the same Idempotency-Key."""

    name: ClassVar[str] = "webhook"
    executes_remotely: ClassVar[bool] = False

    class Config(ConnectorConfig):
        url: _http.HttpUrlStr
        secret_env: str = Field(min_length=1)
        timeout: float = Field(10, gt=0)
        headers: dict[str, str] = Field(default_factory=dict)

        @field_validator("headers")
        @classmethod
        def _no_reserved(cls, headers: dict[str, str]) -> dict[str, str]:
            clash = sorted(h for h in headers if h.lower() in _RESERVED)
            if clash:
                raise ValueError(f"headers may not override {', '.join(clash)} (set by Countersign)")
            return headers

    def __init__(self, config: Config, context: ConnectorContext) -> None:
        self.config, self.context = config, context

    def execute(self, action: str, payload: dict[str, Any], idempotency_key: str) -> Result:
        """Sign and POST once; classify the answer as success, retryable or permanent."""
        secret = self.context.secret(self.config.secret_env)
        body = encode_body(action, payload, idempotency_key)
        timestamp = str(int(time.time()))
        headers = {
            **self.config.headers,
            "Content-Type": "application/json",
            IDEMPOTENCY_HEADER: idempotency_key,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(secret, timestamp, body),
        }
        receipt = current_receipt.get()
        if receipt:
            headers[RECEIPT_HEADER] = receipt
        parts = urlsplit(self.config.url)
        # hostname and port only: a URL may carry credentials that must not reach Slack or logs
        target = f"webhook {parts.hostname}" + (f":{parts.port}" if parts.port else "")
        try:
            # Redirects are not followed: a signed POST must not be replayed to another host.
            with targets.client(self.context.targets, timeout=self.config.timeout) as client:
                response = client.post(self.config.url, content=body, headers=headers)
        except targets.TargetRefused as exc:
            raise _http.refused(exc, target) from None
        except httpx.HTTPError as exc:
            raise _http.transport_error(exc, target) from None
        if not response.is_success:
            raise _http.answer_error(response, target)
        return Result(summary=f"{target} accepted ({response.status_code})", data=_data(response))


def _data(response: httpx.Response) -> dict[str, Any]:
    parsed = _http.json_or_none(response)
    if isinstance(parsed, dict):
        return parsed
    if parsed is not None:
        return {"status": response.status_code, "body": parsed}
    return {"status": response.status_code, "body": response.text[:_BODY_CHARS]}
