"""The agent executes the approved action itself and reports the outcome to Countersign."""

from __future__ import annotations

from typing import Any, ClassVar

from connectors.base import ConnectorConfig, ConnectorContext, ConnectorError, Result


class CallbackConnector:
    """Marks actions the agent runs itself; the service never calls execute()."""

    name: ClassVar[str] = "callback"
    executes_remotely: ClassVar[bool] = True

    class Config(ConnectorConfig):
        pass

    def __init__(self, config: Config, context: ConnectorContext) -> None:
        self.config, self.context = config, context

    def execute(self, action: str, payload: dict[str, Any], idempotency_key: str) -> Result:
        """Refuse: reaching this is a service bug, and retrying would not fix it."""
        raise ConnectorError(
            f"action {action!r} uses the callback connector: the agent executes it and reports the outcome "
            "with POST /api/v1/proposals/{id}/result; Countersign never executes it "
            f"(execution key {idempotency_key})",
            retryable=False,
        )
