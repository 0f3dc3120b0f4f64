"""Shared fixtures: a real database (SQLite file or a fresh PostgreSQL schema), a fake clock, clean env."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from bot.clock import FakeClock
from bot.fakes.ports import free_port
from bot.fakes.webhook_receiver import WebhookReceiver
from bot.flow.context import Services
from bot.flow.ports import Notifier
from tests.factories import WEBHOOK_SECRET, make_services, write_policies

pytest_plugins = ["tests.workspace", "tests.slack.rig"]  # the fake Slack (`slack`) and the app rig (`rig`)

PG_URL = os.environ.get("COUNTERSIGN_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing from the developer's shell (Slack tokens, DATABASE_URL) leaks into a test."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "COUNTERSIGN_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def pg_schema_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a brand-new schema, dropped afterwards (isolates parallel tests)."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        conn = psycopg.connect(plain, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is required for these tests and is unreachable at {PG_URL} ({exc}). "
            "Start it or set COUNTERSIGN_TEST_PG_URL.",
            pytrace=False,
        )
    with conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[str]:
    """Each test using this runs twice: on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/countersign.db"
    else:
        yield from pg_schema_url()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """PostgreSQL only (multi-replica and locking tests)."""
    yield from pg_schema_url()


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """A real webhook endpoint verifying Countersign's signatures."""
    with WebhookReceiver(WEBHOOK_SECRET) as r:
        yield r


@pytest.fixture
def notifier() -> Notifier | None:
    """The Notifier `svc` is built with: none (messages wait in the outbox); a module may override it."""
    return None


@pytest.fixture
def svc(
    db_url: str, tmp_path: Path, clock: FakeClock, receiver: WebhookReceiver, notifier: Notifier | None
) -> Iterator[Services]:
    """Services for the `payouts` test workflow, its webhook pointed at `receiver`."""
    policies = write_policies(tmp_path / "policies", webhook_url=receiver.url)
    s = make_services(db_url, policies, clock=clock, notifier=notifier)
    yield s
    s.engine.dispose()


@pytest.fixture
def refused_port() -> int:
    """A port that was just bound and closed, so connecting is refused."""
    return free_port()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (kernel backlog) but never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]
