"""The `rig` fixture: the real app (create_app) served by uvicorn, Slack played by the `slack` fixture and its
SlackDriver, due work run by sweep(). A plugin of tests/conftest.py, so the Slack and security suites share it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import create_app
from bot.clock import FakeClock
from bot.fakes.webhook_receiver import WebhookReceiver
from bot.fakeslack import BackgroundServer, FakeSlack, Message, SlackDriver
from bot.flow.context import Services
from bot.store import audit
from bot.store.db import session_scope
from tests.factories import add_agent, make_services, proposal, sweep, write_policies
from tests.workspace import SECRET

OPS_POLICY = """
workflow: ops
owner: U0OWNER
review_channel: C0REVIEW
actions:
  restart:
    connector: callback
    schema:
      type: object
      required: [service]
      properties:
        service: {type: string, pattern: "^[a-z-]+$", description: "Service to restart"}
        region: {type: string, enum: [eu, us]}
        force: {type: boolean}
        replicas: {type: integer, minimum: 0}
        notes: {type: string, maxLength: 2000}
        tags: {type: array, items: {type: string}}
        limits: {type: object, properties: {cpu: {type: number}, memory: {type: string}}}
        secret: {type: string}
        meta: {type: object}
    sensitive: [secret]
    approval:
      channel: C0OPS
      approvers: {usergroups: [S0ONCALL]}
      expire_after: 24h
"""
MAIL_POLICY = """
workflow: mail
owner: U0OWNER
review_channel: C0REVIEW
actions:
  reply:
    connector: callback
    schema:
      type: object
      required: [to, subject, body]
      properties:
        to: {type: string, format: email, title: Recipient}
        subject: {type: string, minLength: 1}
        body: {type: string}
        customer: {type: object, properties: {email: {type: string}, name: {type: string}}}
        cc: {type: array, items: {type: object, properties: {email: {type: string}}}}
        order_id:
          type: string
          pattern: "^ORD-[0-9]{4,}$"
          errorMessage: order_id is the ORD- number from the order page
        ticket: {type: string, pattern: "^T-[0-9]{3}$", title: Ticket number}
        pin: {type: string, pattern: "^[0-9]{4}$"}
    sensitive: [to, customer.email, cc.email, pin]
    display:
      - to
      - subject
      - {field: body, label: Message, long: true}
      - customer
      - cc
      - order_id
      - ticket
      - pin
    approval:
      channel: C0OPS
      approvers: {users: [U0ALICE, U0BOB]}
      required_approvals: 1
"""
LEDGER_POLICY = """
workflow: ledger
owner: U0OWNER
review_channel: C0REVIEW
mode: shadow
actions:
  post:
    connector: callback
    schema: {type: object, required: [amount], properties: {amount: {type: number}}}
    approval:
      channel: C0PAYOUTS
      approvers: {users: [U0ALICE]}
"""


@dataclass
class Rig:
    """Everything a test drives: the app over HTTP, the fake Slack, the services and the fake clock."""

    svc: Services
    slack: FakeSlack
    driver: SlackDriver
    app: Any
    url: str
    http: httpx.Client
    token: str
    clock: FakeClock
    receiver: WebhookReceiver

    def propose(self, **overrides: Any) -> dict[str, Any]:
        """POST a proposal as the agent (factories.proposal() with overrides) and run the due work."""
        r = self.http.post("/api/v1/proposals", json=proposal(**overrides), headers=self.auth)
        assert r.status_code in (200, 201), r.text
        self.settle()
        return self.get(r.json()["id"])

    def handoff(self, **body: Any) -> dict[str, Any]:
        """POST a handoff as the agent and run the due work."""
        r = self.http.post(
            "/api/v1/handoffs",
            json={"workflow": "payouts", "summary": "Customer asks for a refund", **body},
            headers=self.auth,
        )
        assert r.status_code == 201, r.text
        self.settle()
        return self.get(r.json()["id"])

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, pid: str) -> dict[str, Any]:
        """GET the proposal as the agent sees it."""
        r = self.http.get(f"/api/v1/proposals/{pid}", headers=self.auth)
        assert r.status_code == 200, r.text
        return r.json()

    def settle(self) -> None:
        """Wait for lazy listeners to finish, then run every due item (what the scheduler would do)."""
        assert self.app.state.slack_lazy.wait_idle(30), "lazy listeners still running after 30 s"
        sweep(self.svc)

    def message(self, pid: str) -> Message:
        """The proposal's current Slack message."""
        slack = self.get(pid)["slack"]
        return self.slack.message(slack["channel"], slack["ts"])

    def click(self, pid: str, action: str, user: str, **kwargs: Any) -> Any:
        """Click a button on the proposal's message, then let the lazy work and due work run."""
        slack = self.get(pid)["slack"]
        resp = self.driver.click(slack["channel"], slack["ts"], action, user, **kwargs)
        assert resp.status == 200, resp.text
        self.settle()
        return resp

    def ephemeral_texts(self, user: str) -> list[str]:
        """What `user` was shown privately, oldest first."""
        return [e.text for e in self.slack.ephemerals(user=user)]

    def thread_texts(self, pid: str) -> list[str]:
        """Replies under the proposal's message."""
        slack = self.get(pid)["slack"]
        return [m.text for m in self.slack.thread(slack["channel"], slack["ts"]) if m.ts != slack["ts"]]


def audit_events(svc: Services, pid: str) -> list[tuple[str, str, str | None]]:
    """(action, actor, reason) of a proposal's audit trail."""
    with session_scope(svc.engine) as s:
        return [(e.action, e.actor, e.reason) for e in audit.for_proposal(session=s, proposal_id=pid)]


def buttons(message: Message) -> list[str]:
    """action_ids of the message's buttons."""
    return [el["action_id"] for b in message.blocks if b["type"] == "actions" for el in b["elements"]]


def message_text(message: Message) -> str:
    """Every text of the message's blocks, joined (for content assertions)."""
    out: list[str] = [message.text]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    out.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.blocks)
    return "\n".join(out)


@pytest.fixture
def extra_policies() -> dict[str, str]:
    """More workflows for the rig, by name -> policy YAML; a test module overrides this fixture to add its own."""
    return {}


@pytest.fixture
def rig_settings() -> dict[str, Any]:
    """More settings for the rig's services; a test module overrides this fixture to change them."""
    return {}


@pytest.fixture
def rig(
    db_url: str,
    tmp_path: Path,
    slack: FakeSlack,
    receiver: WebhookReceiver,
    extra_policies: dict[str, str],
    rig_settings: dict[str, Any],
) -> Iterator[Rig]:
    clock = FakeClock()
    policies = write_policies(tmp_path / "policies", webhook_url=receiver.url)
    (policies / "ops.yaml").write_text(OPS_POLICY)
    (policies / "ledger.yaml").write_text(LEDGER_POLICY)
    (policies / "mail.yaml").write_text(MAIL_POLICY)
    for name, text in extra_policies.items():
        (policies / f"{name}.yaml").write_text(text)
    svc = make_services(
        db_url,
        policies,
        clock=clock,
        slack_bot_token="xoxb-fake",
        slack_signing_secret=SECRET,
        slack_api_url=slack.api_url,
        scheduler_enabled=False,
        **rig_settings,
    )
    app = create_app(services=svc, run_scheduler=False)
    with BackgroundServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        driver = slack.driver(server.url)
        yield Rig(
            svc,
            slack,
            driver,
            app,
            server.url,
            http,
            add_agent(svc, scopes=("payouts", "ops", "ledger", "mail", *extra_policies)),
            clock,
            receiver,
        )
        driver.close()
        app.state.slack_lazy.wait_idle(10)
    svc.engine.dispose()
