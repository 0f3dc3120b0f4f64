"""Load every policy file in a directory into a PolicySet, or fail listing every issue found."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.errors import PolicyError
from bot.policy.checks import (
    Directory,
    Reference,
    action_problems,
    approval_problems,
    approval_references,
    directory_problems,
    schema_problems,
    workflow_references,
)
from bot.policy.issues import PolicyFileError, PolicyIssue, field_path, issue_at, validation_issues
from bot.policy.models import ActionPolicy, ConnectorRef, PolicySet, WorkflowPolicy
from bot.policy.source import Source, read_yaml
from connectors.base import ConnectorConfig
from connectors.registry import connector_class, parse_config

TEST_SUFFIXES = (".tests.yaml", ".tests.yml")


def policy_files(path: Path) -> list[Path]:
    """Policy files in `path` (or `path` itself when it is a file); example case files are skipped."""
    if path.is_file():
        return [path]
    found = [*path.glob("*.yaml"), *path.glob("*.yml")]
    return sorted(p for p in found if not p.name.endswith(TEST_SUFFIXES))


def load_policies(path: Path, directory: Directory | None = None) -> PolicySet:
    """Validate every policy file under `path`; PolicyFileError lists every issue in every file."""
    path = Path(path)
    if not path.exists():
        raise PolicyFileError([PolicyIssue(str(path), None, "", "no such file or directory")])
    files = policy_files(path)
    if not files:
        raise PolicyFileError([PolicyIssue(str(path), None, "", "no policy files (*.yaml) found")])
    issues: list[PolicyIssue] = []
    workflows: dict[str, WorkflowPolicy] = {}
    defined_in: dict[str, Path] = {}
    for file in files:
        workflow, source, found = load_file(file, directory)
        issues += found
        # Compare the names as written, so a duplicate is reported even when either file has other issues.
        name = source.data.get("workflow") if isinstance(source.data, dict) else None
        if isinstance(name, str) and name in defined_in:
            message = f"workflow {name!r} is also defined in {defined_in[name]}"
            issues.append(issue_at(str(file), source, ("workflow",), message))
        elif isinstance(name, str):
            defined_in[name] = file
            if workflow is not None:
                workflows[name] = workflow
    if issues:
        raise PolicyFileError(issues)
    return PolicySet(workflows=workflows)


def load_file(
    file: Path, directory: Directory | None = None
) -> tuple[WorkflowPolicy | None, Source, list[PolicyIssue]]:
    """One file: the workflow (None when any issue was found), its source and its issues."""
    name = str(file)
    try:
        raw = file.read_bytes()
        source = read_yaml(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return None, Source(), [PolicyIssue(name, None, "", f"cannot read file: {exc}")]
    issues = [PolicyIssue(name, line, field_path(loc), message) for loc, line, message in source.problems]
    if issues:
        return None, source, issues
    if not isinstance(source.data, dict):
        return None, source, [issue_at(name, source, (), "expected a mapping with workflow, owner, actions, ...")]
    try:
        workflow = WorkflowPolicy.model_validate(source.data)
    except ValidationError as exc:
        issues = validation_issues(name, source, exc, model=WorkflowPolicy)
        return None, source, issues + _check_despite_errors(name, source, exc, directory)
    issues = _check_workflow(name, source, workflow, directory)
    if issues:
        return None, source, issues
    workflow._source_file = file
    workflow._source_sha256 = hashlib.sha256(raw).hexdigest()
    return workflow, source, []


def _check_workflow(
    name: str, source: Source, workflow: WorkflowPolicy, directory: Directory | None
) -> list[PolicyIssue]:
    handoff = approval_problems(workflow.handoff) if workflow.handoff else []
    found = [(("handoff", *loc), message) for loc, message in handoff]
    references: list[Reference] = workflow_references(workflow)
    issues: list[PolicyIssue] = []
    for action_name, action in workflow.actions.items():
        issues += _check_action(name, source, action_name, action)
        references += approval_references(("actions", action_name, "approval"), action.approval)
    found += directory_problems(references, directory)
    return issues + [issue_at(name, source, loc, message) for loc, message in found]


def _check_despite_errors(
    name: str, source: Source, error: ValidationError, directory: Directory | None
) -> list[PolicyIssue]:
    # Shape errors in one place must not hide the deeper problems of the parts that did validate.
    actions = source.data.get("actions")
    if not isinstance(actions, dict):
        return []
    broken = {err["loc"][1] for err in error.errors() if err["loc"][:1] == ("actions",) and len(err["loc"]) > 1}
    issues: list[PolicyIssue] = []
    references: list[Reference] = []
    for action_name, raw in actions.items():
        if action_name not in broken:
            action = ActionPolicy.model_validate(raw)
            issues += _check_action(name, source, action_name, action)
            references += approval_references(("actions", action_name, "approval"), action.approval)
        elif isinstance(raw, dict):
            issues += _check_parts(name, source, ("actions", action_name), raw)
    found = directory_problems(references, directory)
    return issues + [issue_at(name, source, loc, message) for loc, message in found]


def _check_parts(name: str, source: Source, prefix: tuple[Any, ...], raw: dict[str, Any]) -> list[PolicyIssue]:
    """Checks that need only one key of a broken action: its schema and its connector options."""
    issues = []
    if isinstance(raw.get("schema"), dict):
        issues += [issue_at(name, source, (*prefix, *loc), message) for loc, message in schema_problems(raw["schema"])]
    try:
        ref = ConnectorRef.model_validate(raw.get("connector"))
    except ValidationError:
        return issues  # already reported with the action's shape errors
    return issues + _connector_config(name, source, prefix, ref)[1]


def _check_action(name: str, source: Source, action_name: str, action: ActionPolicy) -> list[PolicyIssue]:
    prefix = ("actions", action_name)
    issues = [issue_at(name, source, (*prefix, *loc), message) for loc, message in action_problems(action)]
    config, connector_issues = _connector_config(name, source, prefix, action.connector)
    action._connector_config = config
    return issues + connector_issues


def _connector_config(
    name: str, source: Source, prefix: tuple[Any, ...], ref: ConnectorRef
) -> tuple[ConnectorConfig | None, list[PolicyIssue]]:
    """The connector's own validated config, or issues located at the offending option."""
    loc = (*prefix, "connector", "type")
    try:
        return parse_config(ref.type, ref.options), []
    except PolicyError as exc:
        return None, [issue_at(name, source, loc, exc.message)]
    except ValidationError as exc:
        model = connector_class(ref.type).Config
        return None, validation_issues(name, source, exc, prefix=(*prefix, "connector"), model=model)
    except Exception as exc:  # noqa: BLE001 - a broken connector package is a policy problem to report, not a crash
        message = f"connector {ref.type!r} could not be loaded: {type(exc).__name__}: {exc}"
        return None, [issue_at(name, source, loc, message)]
