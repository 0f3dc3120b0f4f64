"""Flow fixtures: an agent and a helper to submit proposals straight through the intake flow."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.flow import intake
from bot.flow.agents import AgentIdentity
from bot.flow.context import Services
from bot.flow.public import ProposalPublic
from bot.flow.requests import ProposalRequest
from tests.factories import proposal

AGENT = AgentIdentity("agent-1", ("payouts",))


@pytest.fixture
def submit(svc: Services) -> Callable[..., ProposalPublic]:
    """Submit a proposal (factories.proposal() with overrides) and return its public state."""

    def _submit(**overrides: Any) -> ProposalPublic:
        view, _ = intake.submit(svc, agent=AGENT, req=ProposalRequest.model_validate(proposal(**overrides)))
        return view

    return _submit
