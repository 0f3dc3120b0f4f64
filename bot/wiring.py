"""The composition root: build_services(settings) builds every collaborator once, completely, in one place.

Nothing changes a `Services` after it is built. Tests and the sandbox pass stand-ins (clock, notifier, directory,
connector context) here instead of swapping them in afterwards."""

from __future__ import annotations

from dataclasses import replace

import structlog

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.errors import ConfigError
from bot.flow.context import ConnectorHub, Services, Wakeup
from bot.flow.decisions import Decisions
from bot.flow.ports import DigestPublisher, Directory, EmptyDirectory, Notifier
from bot.policy import PolicyFileError, PolicySet, load_policies
from bot.scheduler.sweep import instance_name
from bot.store.db import make_engine
from connectors import registry
from connectors.base import ConnectorContext

log = structlog.get_logger(__name__)


def build_services(
    settings: Settings,
    *,
    clock: Clock | None = None,
    connector_context: ConnectorContext | None = None,
    notifier: Notifier | None = None,
    publisher: DigestPublisher | None = None,
    directory: Directory | None = None,
) -> Services:
    """Everything the flows need, from settings (policies are validated here: bad ones stop start-up).

    With Slack configured, the notifier, digest publisher, user-group directory and the slack_reply connector's
    client are Slack's unless given; without it, messages wait in the outbox and groups resolve to nobody."""
    try:
        policies = load_policies(settings.policies_dir)
    except PolicyFileError as exc:
        raise ConfigError(f"COUNTERSIGN_POLICIES: invalid policy files:\n{exc}") from None
    # Where HTTP connectors may connect comes from settings (COUNTERSIGN_ALLOWED_TARGETS), whoever built the context.
    context = replace(connector_context or ConnectorContext(), targets=settings.targets)
    _warn_missing_secrets(policies, context)
    if settings.slack_enabled:
        from bot.slack.client import make_client  # slack-bolt is only imported when Slack is configured
        from bot.slack.digest import SlackDigestPublisher
        from bot.slack.directory import SlackDirectory
        from bot.slack.notifier import SlackNotifier

        client = context.slack_client or make_client(settings)
        # The notifier has its own client: the sweep paces chat.postMessage per channel instead of sleeping.
        notifier = notifier or SlackNotifier(make_client(settings, paced_posts=True))
        publisher = publisher or SlackDigestPublisher(client)
        directory = directory or SlackDirectory(client, max_stale=settings.group_cache_max_stale.total_seconds())
        context = replace(context, slack_client=client)
    engine = make_engine(settings.database_url)
    return Services(
        settings=settings,
        engine=engine,
        policies=policies,
        clock=clock or SystemClock(),
        connectors=ConnectorHub(policies, context),
        decisions=Decisions(engine, max_waits_per_agent=settings.max_waits_per_agent),
        notifier=notifier,
        publisher=publisher,
        directory=directory or EmptyDirectory(),
        wakeup=Wakeup(),
        instance=instance_name(),
    )


def _warn_missing_secrets(policies: PolicySet, context: ConnectorContext) -> None:
    """Say at start-up which actions cannot execute yet (they will fail visibly, not silently, if approved)."""
    for wf in policies.workflows.values():
        for act in wf.actions.values():
            for name in registry.missing_secrets(act.connector_config, context.env):
                log.warning("connector secret not set", workflow=wf.name, action=act.name, variable=name)
