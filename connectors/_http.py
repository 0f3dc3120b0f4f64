"""Shared HTTP helpers for the REST connectors: error classification and response parsing."""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from typing import Annotated, Any

import httpx
import structlog
from pydantic import AfterValidator, HttpUrl, TypeAdapter

from bot.targets import TargetRefused, status_phrase
from connectors.base import ConnectorError

EXCERPT_CHARS = 500
log = structlog.get_logger(__name__)


def _http_url(value: str) -> str:
    TypeAdapter(HttpUrl).validate_python(value)  # check it, but keep the string exactly as written
    return value


HttpUrlStr = Annotated[str, AfterValidator(_http_url)]


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None."""
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(raw).timestamp() - time.time())
    except (TypeError, ValueError):
        return None  # unparseable: let the outbox use its own backoff


def json_or_none(response: httpx.Response) -> Any:
    """The response body parsed as JSON, or None when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        return None


def excerpt(response: httpx.Response, limit: int = EXCERPT_CHARS) -> str:
    """The start of the body, stripped, for error messages humans will read."""
    text = response.text.strip()
    return text[:limit] + ("…" if len(text) > limit else "")


def transport_error(exc: httpx.HTTPError, target: str) -> ConnectorError:
    """Classify an httpx failure that produced no response (timeouts, refused, reset, DNS).

    The message is fixed per class: socket error text would tell agents and Slack readers what listens where
    (a network probe). Operators get the detail in the warning log."""
    log.warning("connector request failed", target=target, error=f"{type(exc).__name__}: {exc}")
    if isinstance(exc, httpx.TimeoutException):
        # The request may have arrived: the retry carries the same idempotency key.
        return ConnectorError(f"{target} timed out", retryable=True)
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return ConnectorError(f"{target}: the URL cannot be used (check the policy)", retryable=False)
    return ConnectorError(f"{target} unreachable (no answer)", retryable=True)


def refused(exc: TargetRefused, target: str) -> ConnectorError:
    """The target resolves to an address outside COUNTERSIGN_ALLOWED_TARGETS: permanent until the operator acts."""
    log.warning("connector target refused", target=target, host=exc.host)
    return ConnectorError(f"{target} {exc}", retryable=False)


def answer_error(response: httpx.Response, target: str) -> ConnectorError:
    """A non-2xx answer reported by status code and its standard phrase; the body goes to the warning log only."""
    log.warning(
        "connector target answered an error", target=target, status=response.status_code, body=excerpt(response)
    )
    return status_error(response, target, status_phrase(response.status_code))


def status_error(response: httpx.Response, target: str, message: str) -> ConnectorError:
    """Classify a non-2xx answer: 408/429/5xx may succeed later, other statuses will not."""
    code = response.status_code
    details: dict[str, Any] = {"status": code}
    if code == 429:
        wait = retry_after(response.headers)
        if wait is not None:
            details["retry_after"] = wait
        return ConnectorError(f"{target} is rate limiting (429): {message}", retryable=True, **details)
    retryable = code >= 500 or code == 408
    return ConnectorError(f"{target} answered {code}: {message}", retryable=retryable, **details)
