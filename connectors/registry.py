"""Find connectors through the `countersign.connectors` entry point group."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from bot.errors import PolicyError
from connectors.base import Connector, ConnectorConfig, ConnectorContext

ENTRY_POINT_GROUP = "countersign.connectors"


@cache
def _entry_points() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


@cache
def _load(name: str) -> type[Connector]:
    try:
        return _entry_points()[name].load()
    except Exception as exc:  # one broken third-party package must not take the built-ins down with it
        raise PolicyError(f"connector {name!r} is installed but failed to load: {type(exc).__name__}: {exc}") from exc


def names() -> list[str]:
    """Names of every installed connector, loadable or not."""
    return sorted(_entry_points())


def available() -> dict[str, type[Connector]]:
    """Every installed connector class that loads, by name."""
    found = {}
    for name in names():
        try:
            found[name] = _load(name)
        except PolicyError:
            continue
    return found


def connector_class(name: str) -> type[Connector]:
    """The class registered under `name`, or a PolicyError listing what is installed."""
    if name not in _entry_points():
        raise PolicyError(f"unknown connector {name!r} (installed: {', '.join(names()) or 'none'})")
    return _load(name)


def parse_config(name: str, options: dict[str, Any]) -> ConnectorConfig:
    """Validate a policy's connector options with the connector's own config model."""
    return connector_class(name).Config.model_validate(options)


def build(name: str, config: ConnectorConfig, context: ConnectorContext) -> Connector:
    """Instantiate a configured connector."""
    return connector_class(name)(config, context)


def missing_secrets(config: ConnectorConfig, env: Mapping[str, str]) -> list[str]:
    """Env var names a connector config refers to (fields ending in `_env`) that are not set."""
    names = [getattr(config, f) for f in type(config).model_fields if f.endswith("_env")]
    return [n for n in names if n and not env.get(n)]
