"""OpenAI Agents SDK: a guarded tool under a scripted model; the model hears the decision in plain words."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from agents import Agent, RunContextWrapper, Runner, set_tracing_disabled

from bot.flow import decide, lifecycle
from countersign.adapters.openai_agents import guarded_tool
from examples.openai_agents_refund import build_agent
from tests.adapters.scripts import run_example
from tests.fakes.agents_model import FakeModel, text, tool_call
from tests.live import Human, Live, approve, edit_and_approve, reject

REFUND = {"order_id": "ORD-1042", "amount": 45.0, "currency": "USD", "reason": "damaged"}
ASK = "My order ORD-1042 arrived broken, please refund it."


@pytest.fixture(autouse=True)
def _no_tracing() -> Iterator[None]:
    set_tracing_disabled(True)  # nothing may try to export traces to a provider
    return


def scripted(args: dict[str, object] = REFUND) -> FakeModel:
    return FakeModel([[tool_call("issue_refund", args)], [text("All done.")]])


def test_approved_call_runs_with_the_edited_arguments(live: Live, human: Human) -> None:
    model = scripted()
    human.then(edit_and_approve({**REFUND, "amount": 40.0}, user="U0FINANCE1"))
    result = Runner.run_sync(build_agent(live.client(), model), ASK)
    assert model.tool_outputs() == ["refunded 40.0 USD on ORD-1042 (damaged)"]
    assert result.final_output == "All done."
    assert live.rows()[0].summary == "Refund 45.0 USD on ORD-1042"


def test_rejection_is_told_to_the_model_and_the_tool_does_not_run(live: Live, human: Human) -> None:
    model = scripted()
    human.then(reject("customer already got a replacement", user="U0FINANCE2"))
    Runner.run_sync(build_agent(live.client(), model), ASK)
    (said,) = model.tool_outputs()
    assert said.startswith("Not executed: refunds/issue_refund was rejected by U0FINANCE2: customer already got")
    assert "Do not retry it unchanged" in said
    assert "refunded" not in said


def test_expiry_is_not_called_a_rejection(live: Live, human: Human) -> None:
    model = FakeModel([[tool_call("issue_refund", REFUND)], [text("ok")]])
    human.then(lambda svc, pid: lifecycle.expire(svc, proposal_id=pid))
    Runner.run_sync(build_agent(live.client(), model), ASK)
    (said,) = model.tool_outputs()
    assert "expired without a decision" in said
    assert "rejected" not in said
    assert "propose it again later" in said


def test_async_client_and_a_context_parameter_that_is_not_payload(live: Live, human: Human) -> None:
    seen: list[object] = []

    @guarded_tool(live.aclient(), workflow="refunds", action="issue_refund", summary="Refund", timeout=30)
    async def issue_refund(
        ctx: RunContextWrapper[dict[str, str]], order_id: str, amount: float, currency: str, reason: str
    ) -> str:
        """Refund an order."""
        seen.append(ctx.context["customer"])
        return f"refunded {amount}"

    model = scripted()
    agent = Agent(name="support", tools=[issue_refund], model=model)
    human.then(approve("U0FINANCE1"))
    asyncio.run(Runner.run(agent, ASK, context={"customer": "C-77"}))
    assert model.tool_outputs() == ["refunded 45.0"]
    assert seen == ["C-77"]
    assert live.rows()[0].payload == REFUND  # the run context stayed local


def test_still_pending_after_the_timeout_tells_the_model_not_to_call_again(live: Live) -> None:
    @guarded_tool(live.client(), workflow="refunds", action="issue_refund", timeout=0.2, poll=0.1)
    def issue_refund(order_id: str, amount: float, currency: str, reason: str) -> str:
        """Refund an order."""
        raise AssertionError("must not run while pending")

    model = scripted()
    Runner.run_sync(Agent(name="support", tools=[issue_refund], model=model), ASK)
    (said,) = model.tool_outputs()
    (row,) = live.rows()
    assert row.status == "pending"
    assert said.startswith("Not executed: refunds/issue_refund is still pending")
    assert "do not call this tool again" in said
    decide.approve(live.svc, proposal_id=row.id, user="U0FINANCE1")  # a late decision is still recorded


def test_the_example_runs_as_a_script(live: Live, human: Human) -> None:
    human.then(approve("U0FINANCE1"))
    out = run_example("openai_agents_refund.py", live, extra_env={"OPENAI_API_KEY": ""}).stdout
    assert "Refund tool said: refunded 45.0 USD on ORD-1042 (damaged)" in out
