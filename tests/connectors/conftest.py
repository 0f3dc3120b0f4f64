"""Fixtures for connector tests: real local servers and ports that refuse or never answer."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from bot.fakes.crm import FakeCrm
from bot.fakes.ports import free_port
from bot.fakes.smtp import Certificates
from bot.fakes.webhook_receiver import WebhookReceiver
from tests.fakes.certificates import make_certificates


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver("whsec-test-0123456789") as fake:
        yield fake


@pytest.fixture
def crm() -> Iterator[FakeCrm]:
    stages = ["subscriber", "lead", "customer"]
    with FakeCrm(token="pat-test-token", options={"lifecyclestage": stages}, numbers={"annualrevenue"}) as fake:
        yield fake


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


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
