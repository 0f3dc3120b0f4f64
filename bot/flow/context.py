"""The handful of collaborators every flow function receives, built once per process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from threading import Lock
from typing import TYPE_CHECKING, cast

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


if TYPE_CHECKING:  # the receipts package imports the store; Services only holds its key
    from bot.flow.decisions import Decisions
    from bot.receipts.keys import ServiceKey


@dataclass
class ReceiptKeySlot:
    """The receipt signing key, loaded once on first use by bot.receipts.keys.service_key (it may need the
    migrated database, which does not exist yet when the services are built)."""

    key: ServiceKey | None = None


class Wakeup:
    """Wakes the sweep after new due work is committed. The scheduler of this replica subscribes while it runs;
    without one (CLI, tests driving the sweep by hand) a kick does nothing."""

    def __init__(self) -> None:
        self._lock = Lock()
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call `listener` on every kick until unsubscribed."""
        with self._lock:
            self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[], None]) -> None:
        """Stop calling `listener` (a no-op when it was not subscribed)."""
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def kick(self) -> None:
        """Tell every listener that new work is waiting."""
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener()


@dataclass(frozen=True)
class Services:
    """Settings, database, policies, clock and ports, injected into every flow call. Built once, completely, by
    bot.wiring.build_services, and never changed afterwards."""

    settings: Settings
    engine: Engine
    policies: PolicySet
    clock: Clock
    connectors: ConnectorHub
    decisions: Decisions  # wakes long-polls when a proposal is decided (here and, on PostgreSQL, in every replica)
    notifier: Notifier | None = None  # None when Slack is not configured: messages wait in the outbox
    publisher: DigestPublisher | None = None  # posts the monthly digest (Slack); None when Slack is not configured
    directory: Directory = field(default_factory=lambda: cast(Directory, EmptyDirectory()))
    wakeup: Wakeup = field(default_factory=Wakeup)
    instance: str = "countersign"
    receipt_key: ReceiptKeySlot = field(default_factory=lambda: ReceiptKeySlot())

    def kick(self) -> None:
        """Wake the sweep: new due work was just committed."""
        self.wakeup.kick()
