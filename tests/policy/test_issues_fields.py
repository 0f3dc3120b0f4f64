"""Shape problems: unknown and missing keys, ids, durations, enums — each with file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.policy.helpers import VALID, issues, line_of, only_issue, replaced, write


def _one(tmp_path: Path, old: str, new: str) -> tuple[str, int, str, str]:
    text = replaced(old, new)
    path = write(tmp_path, "demo.yaml", text)
    issue = only_issue(tmp_path)
    assert issue.file == str(path)
    return text, issue.line or 0, issue.field, issue.message


def test_unknown_key_suggests_the_close_one(tmp_path: Path) -> None:
    text, line, field, message = _one(tmp_path, "remind_after: 30m", "remind_afer: 30m")
    assert (line, field) == (line_of(text, "remind_afer"), "actions.refund.approval.remind_afer")
    assert message == "unknown key 'remind_afer' (did you mean 'remind_after'?)"


def test_unknown_top_level_key_lists_allowed_keys(tmp_path: Path) -> None:
    text, line, field, message = _one(tmp_path, "mode: live", "mode: live\nzzz: 1")
    assert (line, field) == (line_of(text, "zzz"), "zzz")
    assert message.startswith("unknown key 'zzz' (allowed: actions, description, handoff, mode, owner")


def test_unknown_key_in_a_rule(tmp_path: Path) -> None:
    text, line, field, _ = _one(tmp_path, 'route: auto, reason: "small"', 'route: auto, reason: "small", log: true')
    assert (line, field) == (line_of(text, "log: true"), "actions.refund.rules[2].log")


def test_missing_key_points_at_its_parent(tmp_path: Path) -> None:
    text, line, field, message = _one(tmp_path, "      channel: C0FINANCE\n", "")
    assert (line, field, message) == (
        line_of(text, "    approval:"),
        "actions.refund.approval.channel",
        "required key is missing",
    )


@pytest.mark.parametrize(
    ("old", "new", "field", "expected"),
    [
        ("owner: U0OWNER", "owner: alice", "owner", "Slack user id"),
        ("review_channel: C0REVIEW", "review_channel: '#review'", "review_channel", "Slack channel id"),
        ("channel: C0FINANCE", "channel: D0DIRECT", "actions.refund.approval.channel", "Slack channel id"),
        (
            "users: [U0ALICE, U0BOB]",
            "users: [U0ALICE, bob]",
            "actions.refund.approval.approvers.users[1]",
            "Slack user id",
        ),
        (
            "usergroups: [S0FINANCE]",
            "usergroups: [finance]",
            "actions.refund.approval.approvers.usergroups[0]",
            "user group id",
        ),
        (
            "mention: S0FINANCE}",
            "mention: C0NOPE}",
            "actions.refund.approval.escalate[0].mention",
            "user or user group id",
        ),
    ],
)
def test_bad_slack_ids(tmp_path: Path, old: str, new: str, field: str, expected: str) -> None:
    text, line, got_field, message = _one(tmp_path, old, new)
    assert (line, got_field) == (line_of(text, new), field)
    assert expected in message


@pytest.mark.parametrize("bad", ["5 minutes", "-1h", "1.5h", "10", "0s", "30"])
@pytest.mark.parametrize(
    ("old", "field"),
    [
        ("remind_after: 30m", "actions.refund.approval.remind_after"),
        ("expire_after: 24h", "actions.refund.approval.expire_after"),
        ("{after: 2h,", "actions.refund.approval.escalate[0].after"),
    ],
)
def test_malformed_durations_name_their_field(tmp_path: Path, bad: str, old: str, field: str) -> None:
    new = old.replace(old.split(": ")[1].rstrip(","), f"'{bad}'" if bad[0] == "-" else bad)
    text, line, got_field, message = _one(tmp_path, old, new)
    assert (got_field, line) == (field, line_of(text, new))
    assert message.startswith("expected a duration like 90s, 30m, 24h or 7d, got")


@pytest.mark.parametrize(
    ("old", "new", "field", "fragment"),
    [
        ("mode: live", "mode: dry-run", "mode", "Input should be 'live' or 'shadow', got 'dry-run'"),
        ("route: deny", "route: reject", "actions.refund.rules[0].route", "'auto', 'approve' or 'deny'"),
        (
            "required_approvals: 1",
            "required_approvals: 0",
            "actions.refund.approval.required_approvals",
            "greater than or equal to 1",
        ),
        (
            "required_approvals: 1",
            "required_approvals: '2'",
            "actions.refund.approval.required_approvals",
            "valid integer, got '2'",
        ),
        ("workflow: demo", "workflow: Demo_Flow", "workflow", "workflow names use a-z, 0-9, '_' and '-'"),
        ("  refund:", "  Refund Now:", "actions.Refund Now", "action names use"),
        ('reason: "small"', 'reason: ""', "actions.refund.rules[2].reason", "at least 1 character"),
        ("target: 0.9", "target: 90", "success_criteria[0]", "fraction between 0 and 1"),
        ("metric: approval_rate", "metric: happiness", "success_criteria[0].metric", "got 'happiness'"),
        ('op: ">="', 'op: "=>"', "success_criteria[0].op", "got '=>'"),
        ("sensitive: [email]", "sensitive: email", "actions.refund.sensitive", "valid list"),
    ],
)
def test_field_level_issues(tmp_path: Path, old: str, new: str, field: str, fragment: str) -> None:
    text, line, got_field, message = _one(tmp_path, old, new)
    assert got_field == field
    assert line == line_of(text, new.strip().rstrip(":"))
    assert fragment in message


def test_required_approvals_on_a_non_approve_rule(tmp_path: Path) -> None:
    text, line, field, message = _one(
        tmp_path, 'route: auto, reason: "small"', 'route: auto, required_approvals: 2, reason: "small"'
    )
    assert (line, field) == (line_of(text, "route: auto"), "actions.refund.rules[2]")
    assert message == "required_approvals only applies to route approve, not auto"


def test_actions_must_not_be_empty(tmp_path: Path) -> None:
    head = VALID.split("actions:")[0]
    write(tmp_path, "demo.yaml", head + "actions: {}\n")
    issue = only_issue(tmp_path)
    assert (issue.field, issue.line) == ("actions", line_of(head + "actions: {}\n", "actions:"))


def test_every_shape_issue_in_a_file_is_listed(tmp_path: Path) -> None:
    text = VALID.replace("owner: U0OWNER", "owner: bob").replace("expire_after: 24h", "expire_after: 1.5h")
    text = text.replace('"payload.amount > 500"', '"payload.amount >"').replace("mode: live", "mode: maybe")
    write(tmp_path, "demo.yaml", text)
    assert [i.field for i in issues(tmp_path)] == [
        "owner",
        "mode",
        "actions.refund.approval.expire_after",
        "actions.refund.rules[1].when",
    ]
