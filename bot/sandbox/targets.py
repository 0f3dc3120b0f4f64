"""Which local services the policies' connectors call, so the sandbox can stand in for them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from bot.policy import PolicySet

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
DEFAULT_PORTS = {"http": 80, "https": 443}
Kind = Literal["webhook", "smtp", "crm"]


class TargetConflict(ValueError):
    """Two connectors want different stand-ins on the same port."""


@dataclass
class Target:
    """One local stand-in: its kind, port, the env vars it fills with sandbox secrets, and who uses it."""

    kind: Kind
    port: int
    env: list[str] = field(default_factory=list)  # secret_env / token_env names the sandbox sets
    users: list[str] = field(default_factory=list)  # "workflow/action"
    crm_required: list[str] = field(default_factory=list)
    crm_options: dict[str, list[str]] = field(default_factory=dict)


def local_targets(policies: PolicySet) -> list[Target]:
    """Stand-ins for every webhook, plain SMTP relay and CRM the policies reach on this machine."""
    found: dict[int, Target] = {}
    for wf in policies.workflows.values():
        for act in wf.actions.values():
            spec = _target(act.connector_type, act.connector_config)
            if spec is None:
                continue
            kind, port, env, cfg = spec
            target = found.setdefault(port, Target(kind, port))
            if target.kind != kind:
                raise TargetConflict(f"port {port} is used by a {target.kind} and a {kind} connector")
            target.users.append(f"{wf.name}/{act.name}")
            if env and env not in target.env:
                target.env.append(env)
            if kind == "crm":
                target.crm_required += [r for r in cfg.required if r not in target.crm_required]
                target.crm_options.update(cfg.options)
    return sorted(found.values(), key=lambda t: t.port)


def _target(kind: str, cfg: Any) -> tuple[Kind, int, str | None, Any] | None:
    if kind == "webhook":
        port = _local_port(cfg.url)
        return ("webhook", port, cfg.secret_env, cfg) if port else None
    if kind == "crm":
        port = _local_port(cfg.base_url)
        return ("crm", port, cfg.token_env, cfg) if port else None
    if kind == "email" and cfg.host in LOCAL_HOSTS and cfg.security == "none" and not cfg.username:
        return "smtp", cfg.port, None, cfg
    return None


def _local_port(url: str) -> int | None:
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in LOCAL_HOSTS:
        return None
    return parts.port or DEFAULT_PORTS[parts.scheme]
