"""Find connectors through the `countersign.connectors` entry point group."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points
from typing import Any

from bot.errors import PolicyError
from connectors.base import Connector, ConnectorConfig, ConnectorContext

ENTRY_POINT_GROUP = "countersign.connectors"


@cache
def available() -> dict[str, type[Connector]]:
    """Every installed connector class by name (built-ins and third-party packages)."""
    found: dict[str, type[Connector]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found[ep.name] = ep.load()
    return found


def connector_class(name: str) -> type[Connector]:
    """The class registered under `name`, or a PolicyError listing what is installed."""
    classes = available()
    if name not in classes:
        known = ", ".join(sorted(classes)) or "none"
        raise PolicyError(f"unknown connector {name!r} (installed: {known})")
    return classes[name]


def parse_config(name: str, options: dict[str, Any]) -> ConnectorConfig:
    """Validate a policy's connector options with the connector's own config model."""
    return connector_class(name).Config.model_validate(options)


def build(name: str, config: ConnectorConfig, context: ConnectorContext) -> Connector:
    """Instantiate a configured connector."""
    return connector_class(name)(config, context)
