"""Typed exceptions for every error the agent API returns, carrying the server's own message and code."""

from __future__ import annotations

from typing import Any


class CountersignError(Exception):
    """Base of every error the client raises; `message`, `code` and `status` come from the server when it answered."""

    def __init__(
        self, message: str, *, status: int | None = None, code: str | None = None, body: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message, self.status, self.code = message, status, code
        self.body: dict[str, Any] = body or {}

    def __str__(self) -> str:
        where = f"{self.status} {self.code}: " if self.status else ""
        return f"{where}{self.message}"


class Unauthorized(CountersignError):
    """401: the token is missing, unknown or revoked."""


class Forbidden(CountersignError):
    """403: the token's scopes do not cover this workflow or action."""


class NotFound(CountersignError):
    """404: unknown workflow, action, or proposal (other agents' proposals are invisible too)."""


class Conflict(CountersignError):
    """409: the request contradicts stored state (idempotency key reused with other content, already decided)."""

    @property
    def proposal_id(self) -> str | None:
        """The existing proposal the conflict is about, when the server names it."""
        return self.body.get("proposal_id")


class PayloadTooLarge(CountersignError):
    """413: the body is over the server's COUNTERSIGN_MAX_BODY_BYTES."""


class InvalidRequest(CountersignError):
    """415 or 422: not JSON, or an invalid shape; `errors` lists every field error as {"loc", "msg"}."""

    @property
    def errors(self) -> list[dict[str, Any]]:
        """Field errors as the server listed them."""
        return list(self.body.get("errors") or [])


class ServiceUnavailable(CountersignError):
    """503: the service's database is unavailable; try again after `retry_after` seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(CountersignError):
    """Any other 5xx: the message quotes an incident id the operator can look up."""


class ConnectionFailed(CountersignError):
    """The service could not be reached, or the connection dropped before an answer arrived."""


BY_STATUS: dict[int, type[CountersignError]] = {
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    415: InvalidRequest,
    422: InvalidRequest,
    503: ServiceUnavailable,
}


def from_response(status: int, body: Any, headers: Any) -> CountersignError:
    """The typed exception for an error response (body `{"error", "code", "errors"?}`)."""
    data = body if isinstance(body, dict) else {}
    message = str(data.get("error") or data.get("detail") or f"HTTP {status}")
    code = str(data.get("code") or f"HTTP{status}")
    cls = BY_STATUS.get(status) or (ServerError if status >= 500 else CountersignError)
    if cls is ServiceUnavailable:
        return ServiceUnavailable(
            message, status=status, code=code, body=data, retry_after=_seconds(headers.get("retry-after"))
        )
    return cls(message, status=status, code=code, body=data)


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None  # an HTTP-date Retry-After: fall back to our own backoff
