"""Problems with a payload: the action's JSON Schema first, then the connector's own pre-flight check."""

from __future__ import annotations

from typing import Any

from bot.flow.context import Services
from bot.policy import validate_payload
from bot.sensitive import scrub, sensitive_texts


def payload_problems(svc: Services, workflow: str, action: str, payload: Any) -> list[dict[str, str]]:
    """Every problem found, as {path, message}; empty means the payload can be executed as is."""
    act = svc.policies.workflow(workflow).action(action)
    found = [{"path": p.path, "message": p.message} for p in validate_payload(act, payload)]
    check = getattr(svc.connectors.for_action(workflow, action), "problems", None)
    if check is not None and not found and isinstance(payload, dict):
        found += [{"path": path, "message": msg} for path, msg in check(action, payload)]
    secrets = sensitive_texts(payload, act.sensitive)  # a message quoting a sensitive value must not reveal it
    return [{"path": x["path"], "message": scrub(x["message"], secrets)} for x in found]
