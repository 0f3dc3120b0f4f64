"""The connector contract: what every executor of approved actions implements.

A connector is a class with a `name`, a pydantic `Config` model validated from the policy's
`connector:` mapping, and `execute(action, payload, idempotency_key) -> Result`.
Failures raise `ConnectorError(message, retryable=...)`; anything else raised is treated as retryable.

Example (a third-party package registers it under the `countersign.connectors` entry point)::

    class PagerConnector:
        name = "pager"

        class Config(ConnectorConfig):
            service: str
            token_env: str

        def __init__(self, config: Config, context: ConnectorContext) -> None:
            self.config, self.context = config, context

        def execute(self, action: str, payload: dict, idempotency_key: str) -> Result:
            ...
            return Result(summary="paged on-call", data={"incident": "P123"})
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from bot.targets import TargetRules

__all__ = ["Connector", "ConnectorConfig", "ConnectorContext", "ConnectorError", "Result"]


class ConnectorError(Exception):
    """An execution failed. `retryable` says whether trying again may succeed; `details` are recorded with it
    (`retry_after`, in seconds, is honoured by the retry schedule)."""

    def __init__(self, message: str, *, retryable: bool, **details: object) -> None:
        super().__init__(message)
        self.message, self.retryable, self.details = message, retryable, details


class ConnectorConfig(BaseModel):
    """Base for connector config models: unknown keys in a policy are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Result(BaseModel):
    """A successful execution: a one-line summary for humans and data returned to the agent."""

    summary: str
    data: dict[str, Any] = {}


# The Countersign-Receipt header value of the execution under way (set by the service around execute()), so a
# connector that sends HTTP can pass the signed decision on without a change to the execute() signature.
current_receipt: ContextVar[str | None] = ContextVar("countersign_current_receipt", default=None)


@dataclass(frozen=True)
class ConnectorContext:
    """What the service lends a connector: environment (for secrets) and shared clients."""

    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    slack_client: Any = None  # slack_sdk.WebClient when Slack is configured
    http_timeout: float = 10.0
    targets: TargetRules = field(default_factory=TargetRules)  # where HTTP connectors may connect (public only)

    def secret(self, env_name: str) -> str:
        """Read a secret by env var name; a missing one is a permanent failure, not a retry."""
        value = self.env.get(env_name)
        if not value:
            raise ConnectorError(f"environment variable {env_name} is not set", retryable=False)
        return value


@runtime_checkable
class Connector(Protocol):
    name: ClassVar[str]
    Config: ClassVar[type[ConnectorConfig]]
    executes_remotely: ClassVar[bool]  # True when the agent executes and reports (callback)

    def __init__(self, config: Any, context: ConnectorContext) -> None: ...

    def execute(self, action: str, payload: dict[str, Any], idempotency_key: str) -> Result: ...
