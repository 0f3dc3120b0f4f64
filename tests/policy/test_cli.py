"""`countersign policy check|explain|test` on the shipped policies and on broken files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.policy import app
from tests.policy.helpers import SHIPPED, VALID, line_of, replaced, write

runner = CliRunner()


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, list[str]]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.output.splitlines()


def _proposal(tmp_path: Path, body: object) -> str:
    path = tmp_path / "proposal.json"
    path.write_text(json.dumps(body) if not isinstance(body, str) else body, encoding="utf-8")
    return str(path)


def test_check_shipped_policies() -> None:
    code, lines = _run("check", "--policies", str(SHIPPED))
    assert code == 0
    assert lines == ["3 workflows OK: crm-updates, refunds, support-replies"]


def test_check_reads_the_directory_from_the_environment(tmp_path: Path) -> None:
    write(tmp_path, "demo.yaml", VALID)
    code, lines = _run("check", env={"COUNTERSIGN_POLICIES": str(tmp_path)})
    assert (code, lines) == (0, ["1 workflows OK: demo"])


def test_check_lists_every_issue_with_file_line_and_field(tmp_path: Path) -> None:
    text = replaced("remind_after: 30m", "remind_after: 5 minutes")
    bad = write(tmp_path, "demo.yaml", text)
    write(tmp_path, "other.yaml", "workflow: other\n")
    code, lines = _run("check", "--policies", str(tmp_path))
    assert code == 1
    assert lines[0] == (
        f"{bad}:{line_of(text, 'remind_after')}: actions.refund.approval.remind_after: "
        "expected a duration like 90s, 30m, 24h or 7d, got '5 minutes'"
    )
    assert lines[1:-1] == [
        f"{tmp_path / 'other.yaml'}:1: {key}: required key is missing" for key in ("actions", "owner", "review_channel")
    ]
    assert lines[-1] == "4 issues in 2 files"


def test_check_missing_directory(tmp_path: Path) -> None:
    code, lines = _run("check", "--policies", str(tmp_path / "nope"))
    assert code == 1
    assert lines[0] == f"{tmp_path / 'nope'}: no such file or directory"


def test_explain_a_large_refund(tmp_path: Path) -> None:
    body = {
        "workflow": "refunds",
        "action": "issue_refund",
        "summary": "Refund order",
        "payload": {"order_id": "ORD-1234", "amount": 750, "currency": "USD", "reason": "damaged"},
    }
    code, lines = _run("explain", _proposal(tmp_path, body), "--policies", str(SHIPPED))
    assert code == 0
    assert lines == [
        "Workflow refunds (live), action issue_refund",
        "Rules (first match wins):",
        "  0. payload.amount <= 0 -> deny: not matched",
        "  1. payload.amount > 500 -> approve: matched",
        "  2. payload.amount <= 20 && payload.reason == 'damaged' -> auto: not reached (not matched)",
        "Route: approve",
        "Reason: refund over $500",
        "Required approvals: 2",
        "Schema problems: none",
    ]


def test_explain_shows_rule_errors_and_schema_problems(tmp_path: Path) -> None:
    body = {"workflow": "refunds", "action": "issue_refund", "payload": {"amount": "15", "reason": "damaged"}}
    code, lines = _run("explain", _proposal(tmp_path, body), "--policies", str(SHIPPED))
    assert code == 0
    assert lines[2] == (
        "  0. payload.amount <= 0 -> deny: error: "
        "no matching overload for the operand types (a string where a number is expected, say)"
    )
    assert "Route: approve" in lines
    assert "Schema problems (3):" in lines
    assert "  amount: Amount must be a number" in lines


def test_explain_uses_requested_by(tmp_path: Path) -> None:
    write(tmp_path, "demo.yaml", replaced('"payload.amount <= 20"', "\"requested_by == 'U0ALICE'\""))
    body = {"workflow": "demo", "action": "refund", "payload": {"amount": 100}, "requested_by": "U0ALICE"}
    code, lines = _run("explain", _proposal(tmp_path, body), "--policies", str(tmp_path))
    assert code == 0
    assert "Route: auto" in lines
    assert "Reason: small" in lines


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "must hold a JSON object"),
        ({"workflow": "refunds", "payload": {}}, "is missing action"),
        (
            {"workflow": "nope", "action": "x", "payload": {}},
            "unknown workflow 'nope' (known: crm-updates, refunds, support-replies)",
        ),
        (
            {"workflow": "refunds", "action": "nope", "payload": {}},
            "unknown action 'nope' in workflow 'refunds' (known: issue_refund)",
        ),
    ],
)
def test_explain_refuses_bad_input_with_exit_2(tmp_path: Path, body: object, message: str) -> None:
    result = runner.invoke(app, ["explain", _proposal(tmp_path, body), "--policies", str(SHIPPED)])
    assert result.exit_code == 2
    assert message in result.output


def test_explain_unreadable_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["explain", str(tmp_path / "absent.json"), "--policies", str(SHIPPED)])
    assert result.exit_code == 2
    assert "cannot read" in result.output


def test_test_runs_the_shipped_cases() -> None:
    code, lines = _run("test", "--policies", str(SHIPPED))
    assert code == 0
    assert all(line.startswith("PASS ") for line in lines[:-1])
    assert len(lines) >= 13
    assert lines[-1].endswith("passed, 0 failed")


def _copy_shipped(tmp_path: Path) -> Path:
    target = tmp_path / "policies"
    shutil.copytree(SHIPPED, target)
    return target


def test_test_reports_a_failing_case(tmp_path: Path) -> None:
    policies = _copy_shipped(tmp_path)
    cases = policies / "refunds.tests.yaml"
    cases.write_text(
        cases.read_text().replace(
            "expect: {route: auto, rule: 2, problems: 0}", "expect: {route: deny, rule: 0, problems: 0}"
        )
    )
    code, lines = _run("test", "--policies", str(policies))
    assert code == 1
    failed = lines.index(f"FAIL {cases}:3 small refund for a damaged item is automatic")
    assert lines[failed + 1 : failed + 3] == ["     expected route 'deny', got 'auto'", "     expected rule 0, got 2"]
    assert lines[-1].endswith("passed, 1 failed")


def test_test_reports_bad_case_files_and_orphans(tmp_path: Path) -> None:
    policies = _copy_shipped(tmp_path)
    (policies / "refunds.tests.yaml").write_text(
        "cases:\n  - name: x\n    action: issue_refund\n    expect: {route: maybe}\n"
    )
    (policies / "gone.tests.yaml").write_text("cases: []\n")
    (policies / "crm-updates.tests.yaml").write_text(
        "cases:\n  - {name: wrong action, action: nope, payload: {}, expect: {route: auto}}\n"
    )
    code, lines = _run("test", "--policies", str(policies))
    assert code == 1
    assert f"FAIL {policies / 'gone.tests.yaml'}: no policy file gone.yaml" in lines
    refunds = policies / "refunds.tests.yaml"
    route_error = "Input should be 'auto', 'approve' or 'deny', got 'maybe'"
    assert f"FAIL {refunds}:4: cases[0].expect.route: {route_error}" in lines
    assert f"FAIL {refunds}:2: cases[0].payload: required key is missing" in lines
    assert f"FAIL {policies / 'crm-updates.tests.yaml'}:2 wrong action" in lines
    assert "     unknown action 'nope' in workflow 'crm-updates'" in lines


def test_test_with_broken_policies_prints_issues(tmp_path: Path) -> None:
    write(tmp_path, "demo.yaml", replaced("owner: U0OWNER", "owner: x"))
    code, lines = _run("test", "--policies", str(tmp_path))
    assert code == 1
    assert lines[-1] == "1 issue in 1 file"


def test_test_without_cases(tmp_path: Path) -> None:
    write(tmp_path, "demo.yaml", VALID)
    code, lines = _run("test", "--policies", str(tmp_path))
    assert code == 0
    assert lines[0].startswith("No example cases found")


@pytest.mark.parametrize("command", ["check", "explain", "test"])
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Example: countersign policy " + command in " ".join(result.output.split())


def test_no_arguments_shows_help() -> None:
    result = runner.invoke(app, [])
    assert "check" in result.output
    assert "explain" in result.output
    assert "test" in result.output
