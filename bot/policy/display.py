"""How an action's payload is laid out on the approval card: which fields, in which order, labels, long text."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, model_validator

from bot.policy.approval import STRICT


class DisplayField(BaseModel):
    """One entry of `display:`; a plain string "path" is short for {field: path}."""

    model_config = STRICT

    field: str  # "" is the whole payload (a handoff whose payload is not an object)
    label: str | None = Field(None, min_length=1, max_length=200)
    long: bool = False  # shown as a block of text under the short fields, in full

    @model_validator(mode="before")
    @classmethod
    def _from_path(cls, value: Any) -> Any:
        return {"field": value} if isinstance(value, str) else value

    @property
    def title(self) -> str:
        """What the card calls the field."""
        return self.label or self.field
