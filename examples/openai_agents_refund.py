"""OpenAI Agents SDK agent whose refund tool waits for a person in Countersign before it runs.

    COUNTERSIGN_URL=http://127.0.0.1:8000 COUNTERSIGN_TOKEN=cs_... python examples/openai_agents_refund.py

With OPENAI_API_KEY set it uses a real model; without, a scripted stand-in (ScriptedModel) asks for the refund,
so the example runs offline.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from typing import Any

from agents import Agent, Model, ModelResponse, Runner, Usage, set_tracing_disabled
from openai.types.responses import ResponseFunctionToolCall, ResponseOutputMessage, ResponseOutputText

from countersign import Countersign
from countersign.adapters.openai_agents import guarded_tool


class ScriptedModel(Model):
    """Asks for one refund, then repeats back whatever the tool answered (a stand-in for a real model)."""

    def __init__(self, refund: dict[str, Any]) -> None:
        self.refund = refund

    async def get_response(self, system_instructions: Any, input: Any, *args: Any, **kwargs: Any) -> ModelResponse:
        outputs = [i for i in input if isinstance(i, dict) and i.get("type") == "function_call_output"]
        if not outputs:
            call = ResponseFunctionToolCall(
                type="function_call", call_id="call_1", name="issue_refund", arguments=json.dumps(self.refund)
            )
            return ModelResponse(output=[call], usage=Usage(), response_id=None)
        text = ResponseOutputText(type="output_text", text=f"Refund tool said: {outputs[-1]['output']}", annotations=[])
        message = ResponseOutputMessage(
            id="msg_1", type="message", role="assistant", status="completed", content=[text]
        )
        return ModelResponse(output=[message], usage=Usage(), response_id=None)

    def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        raise NotImplementedError("this example does not stream")


def build_agent(cs: Countersign, model: Model | str) -> Agent:
    """A support agent with one tool, guarded by the `refunds/issue_refund` policy."""

    @guarded_tool(
        cs,
        workflow="refunds",
        action="issue_refund",
        summary=lambda order_id, amount, currency, reason: f"Refund {amount} {currency} on {order_id}",
    )
    def issue_refund(order_id: str, amount: float, currency: str, reason: str) -> str:
        """Refund an order to the original payment method.

        Args:
            order_id: The order, like ORD-1042.
            amount: How much to refund.
            currency: USD, EUR or GBP.
            reason: damaged, not_received, wrong_item, late or other.
        """
        return f"refunded {amount} {currency} on {order_id} ({reason})"

    return Agent(name="support", instructions="Help customers with their orders.", tools=[issue_refund], model=model)


def main() -> None:
    real = bool(os.environ.get("OPENAI_API_KEY"))
    if not real:
        set_tracing_disabled(True)  # the scripted model is not OpenAI's: there are no traces to send
    refund = {"order_id": "ORD-1042", "amount": 45.0, "currency": "USD", "reason": "damaged"}
    with Countersign(os.environ["COUNTERSIGN_URL"], os.environ["COUNTERSIGN_TOKEN"]) as cs:
        agent = build_agent(cs, "gpt-4.1-mini" if real else ScriptedModel(refund))
        print("waiting for a decision in Slack...", flush=True)
        result = Runner.run_sync(agent, "My order ORD-1042 arrived broken, please refund it.")
        print(result.final_output)


if __name__ == "__main__":
    main()
