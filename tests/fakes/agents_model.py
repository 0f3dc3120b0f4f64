"""A scripted Model for the OpenAI Agents SDK, after the SDK's own tests/fake_model.py: no network, no key."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from agents import Model, ModelResponse, Usage
from openai.types.responses import ResponseFunctionToolCall, ResponseOutputMessage, ResponseOutputText


def tool_call(name: str, arguments: dict[str, Any], call_id: str = "call_1") -> ResponseFunctionToolCall:
    """What a model emits to call a function tool."""
    return ResponseFunctionToolCall(type="function_call", call_id=call_id, name=name, arguments=json.dumps(arguments))


def text(content: str) -> ResponseOutputMessage:
    """A final assistant message."""
    return ResponseOutputMessage(
        id="msg_1",
        type="message",
        role="assistant",
        status="completed",
        content=[ResponseOutputText(type="output_text", text=content, annotations=[])],
    )


class FakeModel(Model):
    """Returns one scripted output per turn and records what each turn was given."""

    def __init__(self, turns: list[list[Any]]) -> None:
        self.turns = list(turns)
        self.inputs: list[Any] = []

    async def get_response(self, system_instructions: Any, input: Any, *args: Any, **kwargs: Any) -> ModelResponse:
        self.inputs.append(input)
        output = self.turns.pop(0) if self.turns else []
        return ModelResponse(output=output, usage=Usage(), response_id=None)

    def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        raise NotImplementedError("streaming is not scripted")

    def tool_outputs(self) -> list[str]:
        """Every function_call_output the agent sent back to the model."""
        last = self.inputs[-1] if self.inputs else []
        return [i["output"] for i in last if isinstance(i, dict) and i.get("type") == "function_call_output"]
