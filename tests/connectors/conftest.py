"""Fixtures for connector tests: real local servers and ports that refuse or never answer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.fakes.crm import FakeCrm
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
