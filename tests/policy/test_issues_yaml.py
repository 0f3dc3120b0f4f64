"""YAML-level problems: syntax, unsafe tags, duplicate keys, odd documents."""

from __future__ import annotations

from pathlib import Path

from bot.policy import PolicyFileError, PolicyIssue, load_policies
from tests.policy.helpers import VALID, issues, line_of, only_issue, replaced, write


def test_unsafe_python_tag_is_refused_and_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = replaced("owner: U0OWNER", f"owner: !!python/object/apply:os.system ['touch {marker}']")
    path = write(tmp_path, "demo.yaml", text)
    issue = only_issue(tmp_path)
    assert issue == PolicyIssue(str(path), 2, "owner", issue.message)
    assert "!!python/object/apply:os.system is not allowed" in issue.message
    assert not marker.exists()


def test_custom_tag_is_refused_with_its_field(tmp_path: Path) -> None:
    text = replaced("remind_after: 30m", "remind_after: !duration 30m")
    write(tmp_path, "demo.yaml", text)
    issue = only_issue(tmp_path)
    assert (issue.line, issue.field) == (line_of(text, "remind_after"), "actions.refund.approval.remind_after")
    assert "'!duration'" in issue.message or "!duration" in issue.message


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    text = replaced("mode: live", "mode: [live")
    write(tmp_path, "demo.yaml", text)
    issue = only_issue(tmp_path)
    assert issue.message.startswith("invalid YAML:")
    assert issue.line is not None
    assert issue.line >= line_of(text, "mode: [live")


def test_duplicate_key_is_an_issue(tmp_path: Path) -> None:
    text = replaced("      required_approvals: 1\n", "      required_approvals: 1\n      required_approvals: 3\n")
    write(tmp_path, "demo.yaml", text)
    issue = only_issue(tmp_path)
    first = line_of(text, "required_approvals: 1")
    assert issue.line == first + 1
    assert issue.field == "actions.refund.approval.required_approvals"
    assert issue.message == f"duplicate key 'required_approvals' (first defined on line {first})"


def test_empty_file_and_non_mapping_documents(tmp_path: Path) -> None:
    write(tmp_path, "empty.yaml", "# nothing here\n")
    write(tmp_path, "list.yaml", "- workflow: x\n")
    found = {Path(i.file).name: i.message for i in issues(tmp_path)}
    assert found == {
        "empty.yaml": "file is empty",
        "list.yaml": "expected a mapping with workflow, owner, actions, ...",
    }


def test_alias_bomb_is_refused_before_validation(tmp_path: Path) -> None:
    bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for name, prev in zip("bcdefg", "abcdef", strict=True):
        bomb.append(f"{name}: &{name} [{', '.join(['*' + prev] * 10)}]")
    write(tmp_path, "bomb.yaml", "\n".join(bomb) + "\n")
    assert "once aliases are expanded" in only_issue(tmp_path).message


def test_file_that_is_not_utf8_is_an_issue(tmp_path: Path) -> None:
    (tmp_path / "latin.yaml").write_bytes("workflow: caf\xe9\n".encode("latin-1"))
    assert only_issue(tmp_path).message.startswith("cannot read file:")


def test_error_text_is_one_line_per_issue(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", replaced("owner: U0OWNER", "owner: bob"))
    write(tmp_path, "b.yaml", "")
    error = PolicyFileError(issues(tmp_path))
    lines = str(error).splitlines()
    assert lines == [
        f"{tmp_path / 'a.yaml'}:2: owner: expected a Slack user id like U012ABCDEF, got 'bob'",
        f"{tmp_path / 'b.yaml'}: file is empty",
    ]
    assert str(PolicyIssue("f.yaml", None, "x", "m")) == "f.yaml: x: m"


def test_valid_template_is_valid(tmp_path: Path) -> None:
    # Guards the fixture the other issue tests break one line at a time.
    write(tmp_path, "demo.yaml", VALID)
    assert list(load_policies(tmp_path).workflows) == ["demo"]


def test_deeply_nested_yaml_is_an_issue_not_a_crash(tmp_path: Path) -> None:
    write(tmp_path, "deep.yaml", "workflow: " + "[" * 5000 + "]" * 5000 + "\n")
    assert only_issue(tmp_path).message == "YAML nests too deeply"
