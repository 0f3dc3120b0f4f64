"""LangGraph: the review node routes on real decisions; interrupts pause and resume without re-proposing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from bot.flow import decide
from examples.langgraph_refund import build_graph, scripted_model  # the example is the code under test
from tests.adapters.scripts import run_example
from tests.live import Human, Live, approve, edit_and_approve, reject

ASK = {"messages": [HumanMessage("My order ORD-1042 arrived broken, please refund it.")]}
REFUND = {"order_id": "ORD-1042", "amount": 45.0, "currency": "USD", "reason": "damaged"}


def model_then(answer: str, args: dict[str, Any] = REFUND) -> GenericFakeChatModel:
    return GenericFakeChatModel(
        messages=iter(
            [AIMessage("", tool_calls=[{"id": "call_1", "name": "issue_refund", "args": args}]), AIMessage(answer)]
        )
    )


def tool_messages(out: dict[str, Any]) -> list[ToolMessage]:
    return [m for m in out["messages"] if isinstance(m, ToolMessage)]


def test_edited_approval_runs_the_tool_with_the_edited_arguments(live: Live, human: Human) -> None:
    graph = build_graph(live.client(), scripted_model()).compile()
    human.then(edit_and_approve({**REFUND, "amount": 40.0}, user="U0FINANCE1"))
    out = graph.invoke(ASK)
    (result,) = tool_messages(out)
    assert result.content == "refunded 40.0 USD on ORD-1042 (damaged)"
    assert out["approval"]["status"] == "approved"
    assert out["approval"]["edited"] is True
    assert out["messages"][-1].content == "Done: your refund is on its way."
    assert live.rows()[0].summary == "Refund order ORD-1042"


def test_rejection_goes_back_to_the_model_with_the_reason(live: Live, human: Human) -> None:
    graph = build_graph(live.client(), model_then("Sorry, I could not refund it.")).compile()
    human.then(reject("already refunded last week", user="U0FINANCE2"))
    out = graph.invoke(ASK)
    (note,) = tool_messages(out)
    assert note.status == "error"
    assert note.tool_call_id == "call_1"
    assert "rejected by U0FINANCE2: already refunded last week" in note.content
    assert "Do not retry" in note.content
    assert out["approval"]["approved"] is False
    assert out["messages"][-1].content == "Sorry, I could not refund it."


def test_denied_by_policy_never_reaches_a_person(live: Live) -> None:
    graph = build_graph(live.client(), model_then("I cannot do that.", {**REFUND, "amount": 0})).compile()
    out = graph.invoke(ASK)
    (note,) = tool_messages(out)
    assert "refund amount must be positive" in note.content
    assert out["approval"]["status"] == "denied"


def test_a_slow_decision_interrupts_and_resuming_finds_the_same_proposal(live: Live) -> None:
    graph = build_graph(live.client(), scripted_model(), wait_seconds=0.2, poll=0.1).compile(
        checkpointer=InMemorySaver()
    )
    config = {"configurable": {"thread_id": "order-1042"}}
    first = graph.invoke(ASK, config)
    (paused,) = first["__interrupt__"]
    pid = paused.value["countersign"]["proposal_id"]
    again = graph.invoke(Command(resume=True), config)  # resumed too early: still pending, pauses again
    assert again["__interrupt__"][0].value["countersign"]["proposal_id"] == pid
    decide.approve(live.svc, proposal_id=pid, user="U0FINANCE1")
    done = graph.invoke(Command(resume=True), config)
    assert tool_messages(done)[0].content == "refunded 45.0 USD on ORD-1042 (damaged)"
    assert live.count() == 1
    assert done["approval"]["proposal_id"] == pid


def test_async_graph_with_the_async_client(live: Live, human: Human) -> None:
    async def scenario() -> dict[str, Any]:
        async with live.aclient() as cs:
            graph = build_graph(cs, scripted_model()).compile()
            return await graph.ainvoke(ASK)

    human.then(approve("U0FINANCE1"))
    out = asyncio.run(scenario())
    assert tool_messages(out)[0].content == "refunded 45.0 USD on ORD-1042 (damaged)"


def test_waiting_with_a_limit_needs_a_checkpointer(live: Live) -> None:
    graph = build_graph(live.client(), scripted_model(), wait_seconds=1).compile()
    with pytest.raises(ValueError, match="needs a checkpointer"):
        graph.invoke(ASK)
    assert live.count() == 0


def test_the_example_runs_as_a_script(live: Live, human: Human) -> None:
    human.then(approve("U0FINANCE1"))
    out = run_example("langgraph_refund.py", live).stdout
    assert "ToolMessage: refunded 45.0 USD on ORD-1042 (damaged)" in out
    assert "decision: approved" in out
