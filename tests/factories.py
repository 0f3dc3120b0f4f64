"""Small builders for tests: policies on disk, services on a real database, agents, request bodies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.clock import Clock
from bot.config import Settings
from bot.flow import agents
from bot.flow.context import Services
from bot.flow.ports import DigestPublisher, Directory, Notifier
from bot.scheduler.sweep import Sweeper
from bot.store import migrate
from bot.wiring import build_services
from connectors.base import ConnectorContext

WEBHOOK_SECRET = "whsec-test"

PAYOUTS_POLICY = """
workflow: payouts
owner: U0OWNER
review_channel: C0REVIEW
mode: {mode}
actions:
  send:
    connector: {{type: webhook, url: "{webhook_url}", secret_env: PAYOUT_SECRET, timeout: 2}}
    schema:
      type: object
      required: [to, amount]
      properties:
        to: {{type: string}}
        amount: {{type: number}}
        memo: {{type: string}}
    sensitive: [to]
    approval:
      channel: C0PAYOUTS
      approvers: {{users: [U0ALICE, U0BOB, U0CAROL], usergroups: [S0LEADS]}}
      required_approvals: 1
      allow_self_approval: false
      remind_after: 30m
      reminder_cap: 2
      escalate: [{{after: 2h, mention: S0LEADS}}, {{after: 8h, mention: U0OWNER}}]
      expire_after: 24h
    rules:
      - {{when: "payload.amount < 0", route: deny, reason: "negative amount"}}
      - {{when: "payload.amount > 1000", route: approve, required_approvals: 2, reason: "over 1000"}}
      - {{when: "payload.amount < 10", route: auto, reason: "small payout"}}
  note:
    connector: callback
    schema: {{type: object, required: [text], properties: {{text: {{type: string}}}}}}
    approval:
      channel: C0PAYOUTS
      approvers: {{users: [U0ALICE]}}
"""


def write_policies(directory: Path, *, webhook_url: str = "http://127.0.0.1:9/hook", mode: str = "live") -> Path:
    """Write the test workflow `payouts` into `directory` and return it."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "payouts.yaml").write_text(PAYOUTS_POLICY.format(webhook_url=webhook_url, mode=mode))
    return directory


def make_services(
    db_url: str,
    policies_dir: Path,
    *,
    clock: Clock | None = None,
    env: dict[str, str] | None = None,
    notifier: Notifier | None = None,
    publisher: DigestPublisher | None = None,
    directory: Directory | None = None,
    **settings: Any,
) -> Services:
    """Services on a migrated database, with injected clock, connector secrets and ports.

    Test targets (webhook receivers, agents' callback URLs) listen on 127.0.0.1, so that is allowed unless a
    test passes allowed_targets itself (tests of the refusal pass "")"""
    settings.setdefault("allowed_targets", "127.0.0.1")
    cfg = Settings(_env_file=None, database_url=db_url, policies_dir=policies_dir, **settings)
    svc = build_services(
        cfg,
        clock=clock,
        connector_context=ConnectorContext(env=env or {"PAYOUT_SECRET": WEBHOOK_SECRET}),
        notifier=notifier,
        publisher=publisher,
        directory=directory,
    )
    migrate.upgrade(svc.engine)
    return svc


def add_agent(svc: Services, name: str = "agent-1", scopes: tuple[str, ...] = ("payouts",)) -> str:
    """Create an agent and return its token."""
    return agents.create(svc, name=name, scopes=list(scopes))


def proposal(**overrides: Any) -> dict[str, Any]:
    """A valid proposal body for payouts:send needing one approval."""
    body: dict[str, Any] = {
        "workflow": "payouts",
        "action": "send",
        "summary": "Pay Alice for October",
        "payload": {"to": "alice@example.com", "amount": 120, "memo": "October invoice"},
    }
    body.update(overrides)
    return body


def sweep(svc: Services) -> int:
    """Run all due work now (what the scheduler does every few seconds)."""
    return Sweeper(svc).run_once()
