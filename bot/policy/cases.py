"""Example cases written beside a policy (`<stem>.tests.yaml`), run by `countersign policy test`."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.enums import Route
from bot.errors import NotFound
from bot.policy.issues import PolicyIssue, validation_issues
from bot.policy.loader import TEST_SUFFIXES
from bot.policy.models import PolicySet, WorkflowPolicy
from bot.policy.payload import validate_payload
from bot.policy.routing import evaluate
from bot.policy.source import Source, read_yaml

_CASE_CONFIG = ConfigDict(extra="forbid", frozen=True, strict=True)


class Expect(BaseModel):
    """What a case expects; omitted keys are not checked."""

    model_config = _CASE_CONFIG

    route: Route = Field(strict=False)  # YAML gives strings; strict mode would want enum members
    rule: int | None = None
    required_approvals: int | None = None
    problems: int | None = Field(None, ge=0)


class Case(BaseModel):
    """One example proposal and the decision it should get."""

    model_config = _CASE_CONFIG

    name: str = Field(min_length=1)
    action: str
    payload: Any
    requested_by: str | None = None
    agent: str | None = None
    summary: str | None = None
    expect: Expect


class CaseFile(BaseModel):
    """The whole `.tests.yaml` file."""

    model_config = _CASE_CONFIG

    cases: list[Case] = Field(min_length=1)


@dataclass(frozen=True)
class CaseResult:
    """One case's outcome: `failures` is empty when it passed."""

    file: str
    line: int | None
    name: str
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every expectation held."""
        return not self.failures


def case_files(policies: PolicySet) -> list[tuple[WorkflowPolicy, Path]]:
    """(workflow, its cases file) for every workflow that has one beside its policy file."""
    found = []
    for workflow in sorted(policies.workflows.values(), key=lambda w: str(w.source_file)):
        for suffix in TEST_SUFFIXES:
            path = workflow.source_file.with_name(workflow.source_file.stem + suffix)
            if path.is_file():
                found.append((workflow, path))
    return found


def orphan_case_files(directory: Path, policies: PolicySet) -> list[Path]:
    """Case files whose policy file is missing (a renamed policy would silently lose its tests)."""
    owned = {path for _, path in case_files(policies)}
    every = [p for suffix in TEST_SUFFIXES for p in directory.glob(f"*{suffix}")] if directory.is_dir() else []
    return sorted(p for p in every if p not in owned)


def run_cases(workflow: WorkflowPolicy, path: Path) -> tuple[list[CaseResult], list[PolicyIssue]]:
    """Run every case in `path` against `workflow`; a malformed file gives issues instead."""
    source = read_yaml(path.read_text(encoding="utf-8"))
    name = str(path)
    if source.problems:
        return [], [PolicyIssue(name, line, "", message) for _, line, message in source.problems]
    try:
        parsed = CaseFile.model_validate(source.data)
    except ValidationError as exc:
        return [], validation_issues(name, source, exc, model=CaseFile)
    return [_run(workflow, case, index, name, source) for index, case in enumerate(parsed.cases)], []


def _run(workflow: WorkflowPolicy, case: Case, index: int, name: str, source: Source) -> CaseResult:
    line = source.line_of(("cases", index))
    try:
        action = workflow.action(case.action)
    except NotFound as exc:
        return CaseResult(name, source.line_of(("cases", index, "action")), case.name, [exc.message])
    context = {"requested_by": case.requested_by, "agent": case.agent, "summary": case.summary}
    decision = evaluate(workflow, action, payload=case.payload, context=context)
    expect = case.expect
    checks = [
        ("route", expect.route, decision.route),
        ("required_approvals", expect.required_approvals, decision.required_approvals),
        ("problems", expect.problems, len(validate_payload(action, case.payload))),
    ]
    if "rule" in expect.model_fields_set:  # `rule: null` means "no rule matched"; omitted means "not checked"
        checks.insert(1, ("rule", expect.rule, decision.rule_index))
    failures = [
        f"expected {key} {_shown(want)}, got {_shown(got)}"
        for key, want, got in checks
        if (want is not None or key == "rule") and want != got
    ]
    failures += [f"  rule error: {error}" for error in decision.errors] if failures else []
    if failures:
        failures.append(f"  decision: {decision.route} ({decision.reason})")
    return CaseResult(name, line, case.name, failures)


def _shown(value: object) -> str:
    """A value as a policy file writes it ('approve', not the enum member's repr)."""
    return repr(value.value) if isinstance(value, Enum) else repr(value)
