"""Validated policy models: one WorkflowPolicy per file, its actions, rules and success criteria."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal, cast

from jsonschema import Draft202012Validator
from pydantic import AfterValidator, BaseModel, Field, PrivateAttr, StringConstraints, model_validator

from bot import limits
from bot.enums import Route
from bot.errors import NotFound
from bot.policy.approval import STRICT, ApprovalPolicy, ChannelId, UserId
from bot.policy.cel import Condition, compile_condition
from bot.policy.display import DisplayField
from connectors.base import ConnectorConfig


def _named(pattern: str, what: str) -> AfterValidator:
    regex = re.compile(pattern)

    def check(value: str) -> str:
        if not regex.match(value):
            raise ValueError(f"{what}, got {value!r}")
        return value

    return AfterValidator(check)


Slug = Annotated[
    str,
    StringConstraints(max_length=limits.WORKFLOW_NAME),
    _named(r"^[a-z0-9_-]+$", "workflow names use a-z, 0-9, '_' and '-' (e.g. support-replies, support_inbox)"),
]
ActionName = Annotated[
    str,
    StringConstraints(max_length=limits.ACTION_NAME),
    _named(r"^[a-z0-9][a-z0-9_-]*$", "action names use a-z, 0-9, '_' and '-' (e.g. send_reply)"),
]
Metric = Literal[
    "approval_rate",
    "unedited_approval_rate",
    "edit_rate",
    "rejection_rate",
    "expiry_rate",
    "auto_rate",
    "p50_minutes_to_decision",
    "p90_minutes_to_decision",
    "execution_failure_rate",
    "escalation_rate",
    "shadow_agreement_rate",
]


class Rule(BaseModel):
    """`when` the CEL condition holds, take `route`; the first matching rule wins."""

    model_config = STRICT

    when: Annotated[str, AfterValidator(compile_condition)]
    route: Route = Field(strict=False)  # YAML gives strings; strict mode would want enum members
    required_approvals: int | None = Field(None, ge=1)
    reason: str = Field(min_length=1)

    @property
    def condition(self) -> Condition:
        """The compiled condition (compiled once, at load time)."""
        return cast(Condition, self.when)

    @model_validator(mode="after")
    def _override_only_when_approving(self) -> Rule:
        if self.required_approvals is not None and self.route != "approve":
            raise ValueError(f"required_approvals only applies to route approve, not {self.route}")
        return self


class SuccessCriterion(BaseModel):
    """A monthly target judged in the digest, e.g. approval_rate >= 0.9."""

    model_config = STRICT

    metric: Metric
    op: Literal[">=", "<=", ">", "<", "=="]
    target: float

    @model_validator(mode="after")
    def _rates_are_fractions(self) -> SuccessCriterion:
        # People write 90 for 90%; the digest compares fractions, so that target could never be met.
        if self.metric.endswith("_rate") and not 0 <= self.target <= 1:
            raise ValueError(f"{self.metric} is a fraction between 0 and 1 (0.9 means 90%), got {self.target}")
        if self.target < 0:
            raise ValueError("minutes cannot be negative")
        return self


class ConnectorRef(BaseModel):
    """`connector: callback` or `connector: {type: email, ...options}`; options are checked by the connector."""

    model_config = STRICT

    type: str = Field(min_length=1)
    options: dict[str, Any] = {}

    @model_validator(mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"type": value}
        if isinstance(value, dict):
            options = {k: v for k, v in value.items() if k != "type"}
            return {"type": value["type"], "options": options} if "type" in value else {"options": options}
        return value


class ActionPolicy(BaseModel):
    """One action an agent may propose within a workflow."""

    model_config = STRICT

    description: str = ""
    connector: ConnectorRef
    payload_schema: dict[str, Any] = Field(alias="schema")
    sensitive: list[str] = []
    display: list[DisplayField] = []
    approval: ApprovalPolicy
    rules: list[Rule] = []
    _name: str = PrivateAttr("")
    _connector_config: ConnectorConfig | None = PrivateAttr(None)
    _validator: Draft202012Validator = PrivateAttr()

    @model_validator(mode="before")
    @classmethod
    def _default_display(cls, data: Any) -> Any:
        # Without `display`, every property in schema order; a field without a label takes its schema title.
        if not isinstance(data, dict):
            return data
        properties = data.get("schema", {}).get("properties") if isinstance(data.get("schema"), dict) else None
        properties = properties if isinstance(properties, dict) else {}
        display = data.get("display", [str(key) for key in properties])
        if not isinstance(display, list):
            return data
        return {**data, "display": [_with_title(entry, properties) for entry in display]}

    def model_post_init(self, context: Any) -> None:
        """Build the payload validator once (formats such as email and date are checked too)."""
        self._validator = Draft202012Validator(self.payload_schema, format_checker=Draft202012Validator.FORMAT_CHECKER)

    @property
    def name(self) -> str:
        """The action's key in its workflow's `actions`."""
        return self._name

    @property
    def connector_type(self) -> str:
        """Registered connector name, e.g. "email"."""
        return self.connector.type

    @property
    def connector_config(self) -> ConnectorConfig:
        """The connector's own validated config (set when the policy loads)."""
        if self._connector_config is None:
            raise RuntimeError(f"action {self._name!r} was not loaded through load_policies")
        return self._connector_config

    @property
    def validator(self) -> Draft202012Validator:
        """JSON Schema validator of the payload."""
        return self._validator


class WorkflowPolicy(BaseModel):
    """One policy file: a workflow, its owner, its actions and how it is judged."""

    model_config = STRICT

    name: Slug = Field(alias="workflow")
    owner: UserId
    review_channel: ChannelId
    mode: Literal["live", "shadow"] = "live"
    description: str = ""
    success_criteria: list[SuccessCriterion] = []
    handoff: ApprovalPolicy | None = None
    actions: dict[ActionName, ActionPolicy] = Field(min_length=1)
    _source_file: Path = PrivateAttr(Path())
    _source_sha256: str = PrivateAttr("")

    def model_post_init(self, context: Any) -> None:
        """Tell each action its own name."""
        for name, action in self.actions.items():
            action._name = name

    @property
    def source_file(self) -> Path:
        """The file this workflow was loaded from."""
        return self._source_file

    @property
    def source_sha256(self) -> str:
        """SHA-256 (hex) of the policy file's bytes as loaded: receipts name the policy a decision followed."""
        return self._source_sha256

    def action(self, name: str) -> ActionPolicy:
        """The named action, or NotFound."""
        if name not in self.actions:
            raise NotFound(f"unknown action {name!r} in workflow {self.name!r}", workflow=self.name, action=name)
        return self.actions[name]

    def handoff_policy(self) -> ApprovalPolicy:
        """The explicit handoff policy, or: the review channel, approved by the owner."""
        if self.handoff is not None:
            return self.handoff
        return ApprovalPolicy.model_validate({"channel": self.review_channel, "approvers": {"users": [self.owner]}})


class PolicySet(BaseModel):
    """Every loaded workflow, by name."""

    model_config = STRICT

    workflows: dict[str, WorkflowPolicy] = {}

    def workflow(self, name: str) -> WorkflowPolicy:
        """The named workflow, or NotFound."""
        if name not in self.workflows:
            raise NotFound(f"unknown workflow {name!r}", workflow=name)
        return self.workflows[name]


def _with_title(entry: Any, properties: dict[str, Any]) -> Any:
    entry = {"field": entry} if isinstance(entry, str) else entry
    if not isinstance(entry, dict) or entry.get("label") or not isinstance(entry.get("field"), str):
        return entry
    title = (properties.get(entry["field"]) or {}).get("title") if isinstance(properties, dict) else None
    return {**entry, "label": title} if isinstance(title, str) and title.strip() else entry
