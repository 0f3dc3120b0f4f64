"""The handful of collaborators every flow function receives, built once per process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from threading import Lock
from typing import Any

from sqlalchemy.engine import Engine

from bot.clock import Clock
from bot.config import Settings
from bot.flow.ports import DigestPublisher, Directory, EmptyDirectory, Notifier
from bot.policy import ActionPolicy, PolicySet
from connectors import registry
from connectors.base import Connector, ConnectorContext


@dataclass
class ConnectorHub:
    """Builds each action's connector once and reuses it."""

    policies: PolicySet
    context: ConnectorContext
    _built: dict[tuple[str, str], Connector] = field(default_factory=dict)
    _lock: Lock = field(default_factory=Lock)

    def for_action(self, workflow: str, action: str) -> Connector:
        """The configured connector for one workflow action."""
        key = (workflow, action)
        with self._lock:
            if key not in self._built:
                act = self.policies.workflow(workflow).action(action)
                self._built[key] = registry.build(act.connector_type, act.connector_config, self.context)
            return self._built[key]

    def executes_remotely(self, act: ActionPolicy) -> bool:
        """True when the agent itself executes (callback connector)."""
        return bool(getattr(registry.connector_class(act.connector_type), "executes_remotely", False))


@dataclass
class Services:
    """Settings, database, policies, clock and ports, injected into every flow call."""

    settings: Settings
    engine: Engine
    policies: PolicySet
    clock: Clock
    connectors: ConnectorHub
    notifier: Notifier | None = None
    publisher: DigestPublisher | None = None  # posts the monthly digest (Slack); None when Slack is not configured
    directory: Directory = field(default_factory=EmptyDirectory)
    kick: Callable[[], None] = lambda: None  # wakes the sweep after new due work is committed
    instance: str = "countersign"
    receipt_key: Any = None  # bot.receipts.keys.ServiceKey, loaded on first use (bot.receipts.keys.service_key)
