"""Sandbox: a fake Slack, the real service, stand-ins for the connectors' targets, the page and the demo agent."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import structlog

from bot.app import create_app
from bot.config import Settings
from bot.fakes.crm import FakeCrm
from bot.fakes.smtp import FakeSmtp
from bot.fakes.webhook_receiver import WebhookReceiver
from bot.fakeslack import BackgroundServer, FakeSlack, SlackDriver
from bot.flow import agents
from bot.flow.context import Services
from bot.policy import PolicyFileError, PolicySet, load_policies
from bot.sandbox.demo import DemoAgent
from bot.sandbox.page import build_page
from bot.sandbox.people import BOT_USER, Seed, seed_workspace
from bot.sandbox.targets import Target, TargetConflict, local_targets
from bot.serving import uvicorn_options
from bot.wiring import build_services
from connectors.base import ConnectorContext

log = structlog.get_logger(__name__)
# The example policies, shipped inside the package so the sandbox starts from any directory. In a clone this is a
# symbolic link to the top-level policies/ (the one copy); a wheel holds the files themselves.
EXAMPLE_POLICIES = Path(__file__).resolve().parent / "example_policies"
MANIFEST_SCOPES = ("chat:write", "commands", "usergroups:read", "app_mentions:read", "files:write")  # manifest.yml
DB_FILE = "countersign.db"
LOOPBACK = "127.0.0.1"  # the fake Slack and the stand-ins; --host moves only the page and the service


class SandboxError(Exception):
    """The sandbox cannot start (a port is taken, the policies are invalid...): the message says what to do."""


@dataclass
class SandboxConfig:
    """Where things live and listen. Port 0 picks a free port (tests)."""

    data_dir: Path = Path("sandbox-data")
    policies_dir: Path = EXAMPLE_POLICIES
    host: str = "127.0.0.1"
    page_port: int = 8700
    api_port: int = 8000
    demo: bool = True
    fresh: bool = True  # the fake Slack lives in memory, so a database from an earlier run would point nowhere


@dataclass
class StandIns:
    """The running stand-ins, by kind."""

    webhooks: list[WebhookReceiver] = field(default_factory=list)
    smtp: list[FakeSmtp] = field(default_factory=list)
    crm: list[FakeCrm] = field(default_factory=list)


class Sandbox:
    """`with Sandbox(config) as sb:` then open `sb.page_url`; everything runs on background threads."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.signing_secret = secrets.token_hex(16)
        self.target_secret = "sandbox-" + secrets.token_hex(12)  # every webhook secret_env and CRM token_env
        self.standins = StandIns()
        self.seed = Seed()
        self.targets: list[Target] = []
        self.slack: FakeSlack | None = None
        self.driver: SlackDriver | None = None
        self.services: Services | None = None
        self.demo: DemoAgent | None = None
        self.agent_token = ""
        self._api: BackgroundServer | None = None
        self._page: BackgroundServer | None = None
        self._stops: list[Callable[[], None]] = []

    # ---- lifecycle
    def start(self) -> Self:
        """Start everything; on any failure, stop what started and raise SandboxError."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        policies = self._policies()
        self.seed = seed_workspace(policies)
        try:
            self.targets = local_targets(policies)
        except TargetConflict as exc:
            raise SandboxError(f"{self.config.policies_dir}: {exc}") from None
        self.slack = FakeSlack(
            self.signing_secret,
            "xoxb-sandbox-" + secrets.token_hex(8),
            users=self.seed.users,
            usergroups=self.seed.usergroups,
            channels=self.seed.channels,
            scopes=MANIFEST_SCOPES,
            team_domain="sandbox",
            user_id=BOT_USER,
            host=LOOPBACK,
        )
        self._starting(self.slack.start, self.slack.stop, "the fake Slack")
        for target in self.targets:
            self._start_target(target)
        self._start_service()
        self._page = BackgroundServer(build_page(self), host=self.config.host, port=self.config.page_port)
        self._starting(
            self._page.start, self._page.stop, "the sandbox page", port=self.config.page_port, option="--port"
        )
        if self.config.demo:
            self.demo = DemoAgent(self.api_url, self.agent_token, set(policies.workflows), self.post_as_person)
            self._stops.append(self.demo.stop)
            self.demo.run()

    def _policies(self) -> PolicySet:
        try:
            return load_policies(self.config.policies_dir)
        except PolicyFileError as exc:
            raise SandboxError(f"invalid policy files in {self.config.policies_dir}:\n{exc}") from None
        except OSError as exc:
            raise SandboxError(f"cannot read policies from {self.config.policies_dir}: {exc}") from None

    def _start_target(self, target: Target) -> None:
        host, port = LOOPBACK, target.port  # the policies name localhost
        what = f"the {target.kind} stand-in for {', '.join(target.users)}"
        if target.kind == "webhook":
            hook = WebhookReceiver(self.target_secret, host=host, port=port)
            self._starting(hook.start, hook.close, what, port=port)
            self.standins.webhooks.append(hook)
        elif target.kind == "crm":
            crm = FakeCrm(
                token=self.target_secret,
                required=target.crm_required,
                options=target.crm_options,
                host=host,
                port=port,
            )
            self._starting(crm.start, crm.close, what, port=port)
            self.standins.crm.append(crm)
        else:
            sink = FakeSmtp(host=host, port=port)
            self._starting(sink.start, sink.close, what, port=port)
            self.standins.smtp.append(sink)

    def _start_service(self) -> None:
        """The real service: create_app on its own settings; only the Slack URL and signing secret are the sandbox's."""
        data = self.config.data_dir
        data.mkdir(parents=True, exist_ok=True)
        if self.config.fresh:
            for suffix in ("", "-wal", "-shm", "-journal"):
                (data / f"{DB_FILE}{suffix}").unlink(missing_ok=True)
        assert self.slack is not None
        url = f"http://{self.config.host}:{self.config.api_port}"
        settings = Settings(
            _env_file=None,
            slack_bot_token=self.slack.bot_token,
            slack_signing_secret=self.signing_secret,
            slack_app_token=None,
            slack_api_url=self.slack.api_url,
            database_url=f"sqlite:///{(data / DB_FILE).resolve()}",
            policies_dir=self.config.policies_dir,
            public_url=url,
            scheduler_enabled=True,
            sweep_seconds=1.0,
            allowed_targets="127.0.0.1",  # the stand-in targets and demo agents listen on loopback
        )
        env = {**os.environ, **{name: self.target_secret for t in self.targets for name in t.env}}
        self.services = build_services(settings, connector_context=ConnectorContext(env=env))
        self._api = BackgroundServer(
            create_app(settings, services=self.services),
            host=self.config.host,
            port=self.config.api_port,
            lifespan="on",
            options=uvicorn_options(settings.read_timeout_seconds),  # as `countersign serve` runs it
        )
        self._starting(
            self._api.start, self._api.stop, "the Countersign service", port=self.config.api_port, option="--api-port"
        )
        self.driver = self.slack.driver(self.api_url)
        self._stops.append(self.driver.close)
        name = "sandbox-demo-agent" if self.config.fresh else f"sandbox-demo-agent-{secrets.token_hex(3)}"
        self.agent_token = agents.create(self.services, name=name, scopes=["*"])

    def _starting(
        self,
        start: Callable[[], Any],
        stop: Callable[[], None],
        what: str,
        *,
        port: int | None = None,
        option: str | None = None,
    ) -> None:
        """Start one part; a taken port becomes one clear line."""
        try:
            start()
        except OSError as exc:
            hint = f"choose another with {option}" if option else "stop what uses it, or change the port in the policy"
            raise SandboxError(f"cannot start {what} on port {port}: {exc.strerror or exc} ({hint})") from None
        except RuntimeError as exc:
            raise SandboxError(f"cannot start {what}: {exc}") from None
        self._stops.append(stop)

    def stop(self) -> None:
        """Stop everything that started, newest first (safe to call twice)."""
        while self._stops:
            stop = self._stops.pop()
            try:
                stop()
            except Exception:  # one part failing to stop must not keep the others running
                log.warning(
                    "a sandbox part did not stop cleanly", part=getattr(stop, "__qualname__", "?"), exc_info=True
                )
        if self.services is not None:
            self.services.engine.dispose()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- what the page and the command line show
    @property
    def api_url(self) -> str:
        """The Countersign service (agent API, /slack/events, /docs)."""
        assert self._api is not None
        return self._api.url

    @property
    def page_url(self) -> str:
        """The sandbox page."""
        assert self._page is not None
        return self._page.url

    def post_as_person(self, channel: str, text: str, user: str = "U0RILEY") -> str | None:
        """A person's message in a channel (the demo starts the support thread with it); None if impossible."""
        assert self.slack is not None
        if user not in self.seed.users or channel not in self.seed.channels:
            return None
        return self.slack.post_as_user(channel, user, text).ts

    def outside(self) -> dict[str, Any]:
        """What happened outside Slack: the agent's log and what each stand-in received."""
        s = self.standins
        return {
            "agent": self.demo.snapshot() if self.demo else [],
            "webhooks": [{"port": w.port, **d.shown()} for w in s.webhooks for d in list(w.deliveries)],
            "emails": [{"port": m.port, **e.shown()} for m in s.smtp for e in list(m.messages)],
            "crm": [{"port": c.port, **r} for c in s.crm for r in c.all_records()],
            "targets": [{"kind": t.kind, "port": t.port, "users": t.users} for t in self.targets],
            "urls": {
                "api": self.api_url,
                "docs": f"{self.api_url}/docs",
                "page": self.page_url,
                "slack": self.slack.api_url if self.slack else None,
            },
            "topics": self.seed.topics,
            "people": self.seed.person_ids(),
        }
