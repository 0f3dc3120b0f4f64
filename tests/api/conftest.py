"""API fixtures: the real app over a real database, driven in-process through TestClient."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.flow.context import Services
from tests.factories import add_agent


@pytest.fixture
def client(svc: Services) -> Iterator[TestClient]:
    with TestClient(create_app(services=svc, run_scheduler=False)) as c:
        yield c


@pytest.fixture
def token(svc: Services) -> str:
    return add_agent(svc)


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
