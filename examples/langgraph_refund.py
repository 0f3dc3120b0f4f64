"""LangGraph agent whose refund tool call waits for a person in Countersign before it runs.

Run against a Countersign service (an agent token with scope `refunds`):

    COUNTERSIGN_URL=http://127.0.0.1:8000 COUNTERSIGN_TOKEN=cs_... python examples/langgraph_refund.py

The chat model is scripted (GenericFakeChatModel) so the example runs without a model provider; swap in
`ChatOpenAI(...).bind_tools([issue_refund])` or any tool-calling chat model for real use.
"""

from __future__ import annotations

import os
from typing import Annotated, Any, TypedDict

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, ToolMessage
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages

from countersign import Countersign
from countersign.adapters.langgraph import approval_node, tool_call_args, tool_call_update


class State(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    approval: dict[str, Any]


def issue_refund(order_id: str, amount: float, currency: str, reason: str) -> str:
    """The real side effect (here: a print). It only ever runs with arguments a person approved."""
    return f"refunded {amount} {currency} on {order_id} ({reason})"


def scripted_model() -> GenericFakeChatModel:
    """A model that asks for one refund, then writes its answer."""
    return GenericFakeChatModel(
        messages=iter(
            [
                AIMessage(
                    "",
                    tool_calls=[
                        {
                            "id": "call_1",
                            "name": "issue_refund",
                            "args": {"order_id": "ORD-1042", "amount": 45.0, "currency": "USD", "reason": "damaged"},
                        }
                    ],
                ),
                AIMessage("Done: your refund is on its way."),
            ]
        )
    )


def build_graph(cs: Countersign, model: Any, **gate: Any) -> Any:
    """agent -> review (Countersign) -> refund -> agent, or review -> agent with the reason when not approved."""

    def agent(state: State) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    def refund(state: State) -> dict[str, Any]:
        call = state["messages"][-1].tool_calls[0]
        return {"messages": [ToolMessage(issue_refund(**call["args"]), tool_call_id=call["id"])]}

    def after_agent(state: State) -> str:
        last = state["messages"][-1]
        return "review" if isinstance(last, AIMessage) and last.tool_calls else END

    review = approval_node(
        cs,
        workflow="refunds",
        action="issue_refund",
        payload=tool_call_args,
        summary=lambda s: f"Refund order {tool_call_args(s)['order_id']}",
        approved="refund",
        rejected="agent",
        on_decision=tool_call_update,
        **gate,
    )
    builder = StateGraph(State)
    builder.add_node("agent", agent)
    builder.add_node("review", review, destinations=("refund", "agent"))
    builder.add_node("refund", refund)
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", after_agent, ["review", END])
    builder.add_edge("refund", "agent")
    return builder


def main() -> None:
    with Countersign(os.environ["COUNTERSIGN_URL"], os.environ["COUNTERSIGN_TOKEN"]) as cs:
        graph = build_graph(cs, scripted_model()).compile()
        print("waiting for a decision in Slack...", flush=True)
        out = graph.invoke({"messages": [HumanMessage("My order ORD-1042 arrived broken, please refund it.")]})
        for message in out["messages"][1:]:
            print(f"{type(message).__name__}: {message.content or message.tool_calls}")
        print(f"decision: {out['approval']['status']}")


if __name__ == "__main__":
    main()
