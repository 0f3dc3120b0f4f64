"""One exception hierarchy; each edge (HTTP API, Slack, CLI) maps it to its own error shape."""

from __future__ import annotations


class CountersignError(Exception):
    """Base of every error Countersign raises on purpose."""

    status_code = 400  # HTTP status when the error crosses the agent API

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ConfigError(CountersignError):
    """Bad or missing configuration; start-up stops with this message."""


class PolicyError(CountersignError):
    """A policy file is invalid or a policy cannot be applied."""


class NotFound(CountersignError):
    status_code = 404


class NotAuthenticated(CountersignError):
    status_code = 401


class NotAuthorized(CountersignError):
    """The caller is known but may not do this (scope, approver list, self-approval)."""

    status_code = 403


class Conflict(CountersignError):
    """The request contradicts stored state (idempotency key reuse, already decided)."""

    status_code = 409


class InvalidTransition(Conflict):
    """A state change that the lifecycle does not allow from the current state."""


class StaleView(Conflict):
    """The clicker saw an older version of the proposal than the one stored."""


class TooManyRequests(CountersignError):
    """The caller holds too much of something at once; it may retry after `retry_after` seconds."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: int, **details: object) -> None:
        super().__init__(message, **details)
        self.retry_after = retry_after
