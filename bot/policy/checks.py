"""Checks that span several fields (or need Slack), run once a file's shape is valid."""

from __future__ import annotations

from typing import Any, Protocol

from jsonschema import Draft202012Validator

from bot.policy.approval import ApprovalPolicy, quorum_problem, timing_problems
from bot.policy.models import ActionPolicy, WorkflowPolicy

Found = list[tuple[tuple[Any, ...], str]]  # (loc inside the file, message)


class Directory(Protocol):
    """What Slack knows: lets `load_policies` refuse ids that do not exist in the workspace."""

    def user_exists(self, user_id: str) -> bool: ...

    def usergroup_exists(self, usergroup_id: str) -> bool: ...

    def channel_exists(self, channel_id: str) -> bool: ...


def approval_problems(approval: ApprovalPolicy) -> Found:
    """Impossible quorum and timing mistakes in one approval block."""
    found = timing_problems(approval)
    if not approval.users and not approval.usergroups:
        found.append((("approvers",), "no approvers: list at least one user or user group"))
    quorum = quorum_problem(approval.required_approvals, approval)
    if quorum:
        found.append((("required_approvals",), quorum))
    return found


def schema_problems(schema: Any) -> Found:
    """Where `schema` breaks the Draft 2020-12 meta-schema, at the offending key."""
    # The format checker also catches `pattern`s that are not valid regular expressions.
    meta = Draft202012Validator(Draft202012Validator.META_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return [(("schema", *err.absolute_path), f"invalid JSON Schema: {err.message}") for err in meta.iter_errors(schema)]


def action_problems(action: ActionPolicy) -> Found:
    """Schema validity, approval sanity, rule quorums and sensitive/display paths of one action."""
    found = schema_problems(action.payload_schema)
    found += [(("approval", *loc), message) for loc, message in approval_problems(action.approval)]
    for index, rule in enumerate(action.rules):
        if rule.required_approvals is not None:
            quorum = quorum_problem(rule.required_approvals, action.approval)
            if quorum:
                found.append((("rules", index, "required_approvals"), quorum))
    paths = {"sensitive": action.sensitive, "display": [shown.field for shown in action.display]}
    for key, listed in paths.items():
        for index, path in enumerate(listed):
            if not _path_in_schema(path, action.payload_schema):
                found.append(((key, index), f"{path!r} is not a property in the action's schema"))
    return found


def _path_in_schema(path: str, schema: Any) -> bool:
    # Only a schema that lists its properties can prove a path wrong; a typo in `sensitive` leaks data.
    # A top-level key is found as it is, dots and all, as fields.lookup() finds it in a payload.
    if isinstance(schema, dict) and isinstance(schema.get("properties"), dict) and path in schema["properties"]:
        return True
    for part in path.split("."):
        if not isinstance(schema, dict):
            return True
        properties = schema.get("properties")
        if isinstance(properties, dict) and part in properties:
            schema = properties[part]
        elif isinstance(schema.get("items"), dict) and (part.isdigit() or part == "*"):
            schema = schema["items"]
        elif isinstance(properties, dict) and not schema.get("patternProperties"):
            return isinstance(schema.get("additionalProperties"), dict)
        else:
            return True
    return True


Reference = tuple[tuple[Any, ...], str, str]  # (loc, kind of id, id)


def directory_problems(references: list[Reference], directory: Directory | None) -> Found:
    """Slack ids that the workspace does not know."""
    if directory is None:
        return []
    known: dict[tuple[str, str], bool] = {}  # each id is asked about once per file
    found: Found = []
    for loc, kind, value in references:
        if (kind, value) not in known:
            known[kind, value] = _exists(directory, kind, value)
        if not known[kind, value]:
            found.append((loc, f"unknown {kind} {value}"))
    return found


def _exists(directory: Directory, kind: str, value: str) -> bool:
    if kind == "user":
        return directory.user_exists(value)
    if kind == "user group":
        return directory.usergroup_exists(value)
    return directory.channel_exists(value)


def workflow_references(workflow: WorkflowPolicy) -> list[Reference]:
    """Every Slack id in the workflow's own keys and its handoff block (actions are separate)."""
    refs: list[Reference] = [
        (("owner",), "user", workflow.owner),
        (("review_channel",), "channel", workflow.review_channel),
    ]
    if workflow.handoff:
        refs += approval_references(("handoff",), workflow.handoff)
    return refs


def approval_references(prefix: tuple[Any, ...], approval: ApprovalPolicy) -> list[Reference]:
    """Every Slack id in one approval block."""
    refs: list[Reference] = [((*prefix, "channel"), "channel", approval.channel)]
    refs += [((*prefix, "approvers", "users", i), "user", u) for i, u in enumerate(approval.users)]
    refs += [((*prefix, "approvers", "usergroups", i), "user group", g) for i, g in enumerate(approval.usergroups)]
    for i, step in enumerate(approval.escalate):
        kind = "user group" if step.mention.startswith("S") else "user"
        refs.append(((*prefix, "escalate", i, "mention"), kind, step.mention))
    return refs
