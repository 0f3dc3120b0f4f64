"""LangGraph: a node that puts an action before people in Countersign and routes on their decision.

The node proposes, waits, then returns `Command(goto=approved | rejected)` with the decision in the state. With a
checkpointer and `wait_seconds`, a decision that takes longer pauses the graph with `interrupt()` (nothing blocks
for hours); resuming the thread re-runs the node, which finds the same proposal again through an idempotency key
derived from the thread and task, so a resume never creates a second proposal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypedDict

from langgraph.config import get_config
from langgraph.types import Command, interrupt

from countersign.client import DEFAULT_POLL, AsyncCountersign, Countersign
from countersign.models import Proposal
from countersign.outcomes import explain

__all__ = ["ApprovalState", "Decision", "approval_node", "tool_call_args", "tool_call_update"]


class ApprovalState(TypedDict, total=False):
    """Mix into your graph state to receive the default decision record under `approval`."""

    approval: dict[str, Any]


@dataclass(frozen=True)
class Decision:
    """The final decision as the graph sees it: whether to go on, with which (possibly edited) arguments."""

    proposal: Proposal
    approved: bool
    payload: Any
    message: str  # a sentence for the model or the user, e.g. why it was not executed

    def record(self) -> dict[str, Any]:
        """A JSON-friendly summary for the graph state."""
        p = self.proposal
        return {
            "proposal_id": p.id,
            "status": p.status,
            "approved": self.approved,
            "payload": self.payload,
            "edited": p.edited,
            "decided_by": p.decided_by,
            "reason": p.decision_reason or p.reason,
            "message": self.message,
        }


State = Any
OnDecision = Callable[[State, Decision], dict[str, Any]]


def _default_update(state: State, decision: Decision) -> dict[str, Any]:
    return {"approval": decision.record()}


def _decision(p: Proposal) -> Decision:
    go = p.approved and p.mode == "live"  # shadow mode: people see it, nothing proceeds
    return Decision(p, go, p.payload, explain(p))


def _idempotency_key() -> str | None:
    """Stable across re-runs of this node after an interrupt; None without a checkpointer (each run is new)."""
    conf = get_config().get("configurable", {})
    if not conf.get("thread_id"):
        return None
    return f"langgraph:{conf['thread_id']}:{conf.get('checkpoint_ns', '')}"[:200]


def _pending_info(p: Proposal) -> dict[str, Any]:
    expires = p.expires_at.isoformat() if p.expires_at else None
    return {
        "countersign": {
            "proposal_id": p.id,
            "status": p.status,
            "summary": p.summary,
            "slack": p.slack.permalink,
            "expires_at": expires,
        }
    }


def approval_node(
    client: Countersign | AsyncCountersign,
    *,
    workflow: str,
    action: str,
    summary: str | Callable[[State], str],
    payload: Callable[[State], Any],
    approved: str,
    rejected: str,
    wait_seconds: float | None = None,
    poll: float = DEFAULT_POLL,
    requested_by: str | None = None,
    on_decision: OnDecision = _default_update,
) -> Callable[..., Any]:
    """A node: propose `payload(state)`, wait, then go to `approved` or `rejected` with `on_decision(state, d)`.

    `wait_seconds=None` blocks until people decide; a number pauses the graph with interrupt() after that long
    (needs a checkpointer; resume the thread with `Command(resume=True)` to look again). Add it with
    `builder.add_node("review", node, destinations=(approved, rejected))`.
    """

    def describe(state: State) -> str:
        return summary(state) if callable(summary) else summary

    def route(state: State, p: Proposal) -> Command[Any]:
        d = _decision(p)
        return Command(goto=approved if d.approved else rejected, update=on_decision(state, d))

    def check(key: str | None) -> None:
        if wait_seconds is not None and key is None:
            raise ValueError(
                "approval_node(wait_seconds=...) pauses the graph, which needs a checkpointer and a "
                "thread_id; compile with a checkpointer or leave wait_seconds=None to block"
            )

    if isinstance(client, AsyncCountersign):

        async def anode(state: State) -> Command[Any]:
            key = _idempotency_key()
            check(key)
            p = await client.propose(
                workflow, action, describe(state), payload(state), idempotency_key=key, requested_by=requested_by
            )
            if not p.is_final:
                p = await client.wait(p.id, timeout=wait_seconds, poll=poll)
            while not p.is_final:
                interrupt(_pending_info(p))  # on a resumed run this returns, and we look again
                p = await client.get(p.id)
            return route(state, p)

        return anode

    def node(state: State) -> Command[Any]:
        key = _idempotency_key()
        check(key)
        p = client.propose(
            workflow, action, describe(state), payload(state), idempotency_key=key, requested_by=requested_by
        )
        if not p.is_final:
            p = client.wait(p.id, timeout=wait_seconds, poll=poll)
        while not p.is_final:
            interrupt(_pending_info(p))  # on a resumed run this returns, and we look again
            p = client.get(p.id)
        return route(state, p)

    return node


def tool_call_args(state: State) -> Any:
    """The arguments of the first tool call in the last message (a chat model's request to act)."""
    return state["messages"][-1].tool_calls[0]["args"]


def tool_call_update(state: State, decision: Decision) -> dict[str, Any]:
    """Approved: the tool call carries the approved (maybe edited) arguments. Otherwise: a ToolMessage tells the
    model what happened, so it can answer the user instead of retrying blindly."""
    from langchain_core.messages import ToolMessage

    last = state["messages"][-1]
    call = last.tool_calls[0]
    if decision.approved:
        calls = [{**call, "args": decision.payload}, *last.tool_calls[1:]]
        # Same message id: the add_messages reducer replaces the message instead of appending a second one.
        return {"messages": [last.model_copy(update={"tool_calls": calls})], "approval": decision.record()}
    note = ToolMessage(content=decision.message, tool_call_id=call["id"], name=call["name"], status="error")
    return {"messages": [note], "approval": decision.record()}
