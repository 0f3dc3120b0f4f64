"""Problems found after the shape is valid: timing, quorum, CEL, schema, connector options, Slack ids, duplicates."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.policy import load_policies
from tests.policy.helpers import VALID, FakeDirectory, issues, line_of, only_issue, replaced, write


def _one(tmp_path: Path, old: str, new: str, text: str = VALID) -> tuple[str, int | None, str, str]:
    text = replaced(old, new, text)
    write(tmp_path, "demo.yaml", text)
    issue = only_issue(tmp_path)
    return text, issue.line, issue.field, issue.message


def test_escalation_steps_must_increase(tmp_path: Path) -> None:
    text, line, field, message = _one(tmp_path, "{after: 8h, mention: U0OWNER}", "{after: 2h, mention: U0OWNER}")
    assert (line, field) == (line_of(text, "escalate:"), "actions.refund.approval.escalate[1].after")
    assert message == "escalation steps must have strictly increasing `after`"


def test_escalation_after_expiry(tmp_path: Path) -> None:
    _, _, field, message = _one(tmp_path, "expire_after: 24h", "expire_after: 8h")
    assert field == "actions.refund.approval.escalate[1].after"
    assert message == "escalation would come after the proposal expires"


def test_reminder_after_expiry(tmp_path: Path) -> None:
    text = VALID.replace("      escalate: [{after: 2h, mention: S0FINANCE}, {after: 8h, mention: U0OWNER}]\n", "")
    text, line, field, message = _one(tmp_path, "remind_after: 30m", "remind_after: 2d", text)
    assert (line, field) == (line_of(text, "remind_after"), "actions.refund.approval.remind_after")
    assert message == "reminder would come after the proposal expires"


def test_impossible_quorum_without_usergroups(tmp_path: Path) -> None:
    text = replaced("usergroups: [S0FINANCE]", "usergroups: []").replace("mention: S0FINANCE", "mention: U0BOB")
    text, line, field, message = _one(tmp_path, "required_approvals: 1", "required_approvals: 3", text)
    assert (line, field) == (line_of(text, "required_approvals: 3"), "actions.refund.approval.required_approvals")
    assert message == "needs 3 approvals but only 2 approvers are listed and no user group"


def test_rule_override_with_impossible_quorum(tmp_path: Path) -> None:
    text = replaced("usergroups: [S0FINANCE]", "usergroups: []").replace("mention: S0FINANCE", "mention: U0BOB")
    text, line, field, message = _one(tmp_path, "required_approvals: 2, reason", "required_approvals: 5, reason", text)
    assert (line, field) == (line_of(text, "required_approvals: 5"), "actions.refund.rules[1].required_approvals")
    assert message == "needs 5 approvals but only 2 approvers are listed and no user group"


def test_a_usergroup_makes_any_quorum_possible(tmp_path: Path) -> None:
    write(tmp_path, "demo.yaml", replaced("required_approvals: 2, reason", "required_approvals: 9, reason"))
    assert load_policies(tmp_path).workflow("demo").action("refund").rules[1].required_approvals == 9


def test_no_approvers_at_all(tmp_path: Path) -> None:
    text, line, field, message = _one(
        tmp_path, "approvers: {users: [U0ALICE, U0BOB], usergroups: [S0FINANCE]}", "approvers: {}"
    )
    assert (line, field) == (line_of(text, "approvers: {}"), "actions.refund.approval.approvers")
    assert message == "no approvers: list at least one user or user group"


def test_cel_syntax_error_is_on_the_line_of_its_when(tmp_path: Path) -> None:
    old = '      - {when: "payload.amount <= 20", route: auto, reason: "small"}\n'
    new = '      - route: auto\n        reason: small\n        when: "payload.amount <="\n'
    text, line, field, message = _one(tmp_path, old, new)
    assert (line, field) == (line_of(text, 'when: "payload.amount <="'), "actions.refund.rules[2].when")
    assert message.startswith("CEL syntax error at column")


@pytest.mark.parametrize(
    ("when", "fragment"),
    [
        ("paylod.amount > 1", "unknown name 'paylod'"),
        ("requestedBy == 'x'", "unknown name 'requestedBy'"),
        ("payload.to.trim() == ''", "unknown function 'trim'"),
        ("lower(payload.to) == ''", "unknown function 'lower'"),
        ("bool(payload.to)", "unknown function 'bool'"),
        ("matches(payload.to, 'x')", "matches() is a method: write x.matches(...), not matches(x, ...)"),
        ("payload.amount.int() == 1", "int() is not a method: write int(x), not x.int()"),
        ("payload.items.all(k, v, v != null)", "unsupported use of all()"),
        ("payload.items.exists(i, i.sku == '') && sku == ''", "unknown name 'sku'"),
        ("google.protobuf.Timestamp == type(payload.to)", "unknown name 'google'"),
        ("   ", "expected a CEL expression"),
    ],
)
def test_cel_names_are_checked_at_load(tmp_path: Path, when: str, fragment: str) -> None:
    text, line, field, message = _one(tmp_path, '"payload.amount <= 20"', f'"{when}"')
    assert (line, field) == (line_of(text, f'"{when}"'), "actions.refund.rules[2].when")
    assert fragment in message


def test_multi_line_cel_syntax_error_names_the_line_within_the_condition(tmp_path: Path) -> None:
    old = '      - {when: "payload.amount <= 20", route: auto, reason: "small"}\n'
    new = "      - route: auto\n        reason: small\n        when: |\n          payload.amount > 0 &&\n"
    new += "            payload.x <\n"
    text, line, field, message = _one(tmp_path, old, new)
    assert (line, field) == (line_of(text, "when: |"), "actions.refund.rules[2].when")
    assert message == "CEL syntax error at line 2, column 14: unexpected end of input in 'payload.x <'"


@pytest.mark.parametrize(
    "when",
    [
        "type(payload.amount) == int || type(payload.amount) == double",
        "payload.items.all(i, has(i.sku) && [i.sku].exists(s, s.startsWith('A')))",
        "payload.email.contains('matches(') && payload.email.endsWith('bool(')",
        "payload.items.map(i, i.sku).filter(s, s != '').size() > 0 && size(payload.items) < 10",
        "timestamp('2024-01-01T00:00:00Z').getFullYear() == 2024 && duration('1h') > duration('30m')",
        "payload.amount in [1, 2.5] ? uint(1) == 1u : dyn(string(payload.amount)) == '3'",
    ],
)
def test_valid_conditions_compile(tmp_path: Path, when: str) -> None:
    write(tmp_path, "demo.yaml", replaced('"payload.amount <= 20"', f'"{when}"'))
    assert load_policies(tmp_path).workflow("demo").action("refund").rules[2].when == when


def test_cel_macros_and_context_variables_compile(tmp_path: Path) -> None:
    when = "payload.items.all(i, has(i.sku)) && requested_by != agent && summary.size() >= 0 && workflow == 'demo'"
    write(tmp_path, "demo.yaml", replaced('"payload.amount <= 20"', f'"{when}"'))
    assert load_policies(tmp_path).workflow("demo").action("refund").rules[2].when == when


def test_invalid_json_schema_points_at_the_bad_key(tmp_path: Path) -> None:
    text, line, field, message = _one(tmp_path, "amount: {type: number}", "amount: {type: numbr}")
    assert (line, field) == (line_of(text, "numbr"), "actions.refund.schema.properties.amount.type")
    assert message.startswith("invalid JSON Schema:")


def test_schema_pattern_must_be_a_valid_regex(tmp_path: Path) -> None:
    text, line, field, message = _one(tmp_path, "email: {type: string}", "email: {type: string, pattern: '(['}")
    assert (line, field) == (line_of(text, "pattern: '(['"), "actions.refund.schema.properties.email.pattern")
    assert message == "invalid JSON Schema: '([' is not a 'regex'"


def test_schema_that_is_not_a_mapping(tmp_path: Path) -> None:
    text = (
        VALID.split("    schema:")[0]
        + "    schema: [object]\n    approval: {channel: C0X, approvers: {users: [U0A]}}\n"
    )
    write(tmp_path, "demo.yaml", text)
    issue = only_issue(tmp_path)
    assert (issue.field, issue.line) == ("actions.refund.schema", line_of(text, "schema: [object]"))
    assert issue.message.startswith("Input should be a valid dictionary")


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("sensitive: [email]", "sensitive: [emial]", "actions.refund.sensitive[0]"),
        ("sensitive: [email]", "sensitive: [email, items.0.skew]", "actions.refund.sensitive[1]"),
        ("sensitive: [email]", "sensitive: [email]\n    display: [amount, total]", "actions.refund.display[1]"),
    ],
)
def test_sensitive_and_display_paths_must_exist_in_the_schema(tmp_path: Path, old: str, new: str, field: str) -> None:
    _, _, got_field, message = _one(tmp_path, old, new)
    assert got_field == field
    assert message.endswith("is not a property in the action's schema")


def test_nested_sensitive_paths_are_accepted(tmp_path: Path) -> None:
    write(tmp_path, "demo.yaml", replaced("sensitive: [email]", "sensitive: [email, items.0.sku, items.*.sku]"))
    assert load_policies(tmp_path).workflow("demo").action("refund").sensitive[-1] == "items.*.sku"


def test_unknown_connector_type(tmp_path: Path) -> None:
    text, line, field, message = _one(tmp_path, "{type: webhook,", "{type: webhok,")
    assert (line, field) == (line_of(text, "webhok"), "actions.refund.connector.type")
    assert message.startswith("unknown connector 'webhok' (installed: ")
    assert "webhook" in message


def test_connector_option_errors_are_at_the_option(tmp_path: Path) -> None:
    old = '    connector: {type: webhook, url: "http://localhost:8091/hook", secret_env: HOOK_SECRET}\n'
    new = (
        '    connector:\n      type: webhook\n      url: "http://localhost:8091/hook"\n'
        "      secret_env: HOOK_SECRET\n      timeout: fast\n      retries: 3\n"
    )
    text = replaced(old, new)
    write(tmp_path, "demo.yaml", text)
    found = {i.field: (i.line, i.message) for i in issues(tmp_path)}
    assert found["actions.refund.connector.timeout"][0] == line_of(text, "timeout: fast")
    line, message = found["actions.refund.connector.retries"]
    assert line == line_of(text, "retries: 3")
    assert message == "unknown key 'retries' (allowed: headers, secret_env, timeout, url)"


def test_missing_connector_option(tmp_path: Path) -> None:
    text, line, field, message = _one(tmp_path, 'url: "http://localhost:8091/hook", ', "")
    assert (line, field, message) == (
        line_of(text, "connector:"),
        "actions.refund.connector.url",
        "required key is missing",
    )


def test_connector_mapping_without_type(tmp_path: Path) -> None:
    _, _, field, message = _one(tmp_path, "{type: webhook, ", "{")
    assert (field, message) == ("actions.refund.connector.type", "required key is missing")


def test_connector_checked_even_when_the_action_has_shape_errors(tmp_path: Path) -> None:
    text = replaced("secret_env: HOOK_SECRET}", "secret_env: HOOK_SECRET, retries: 3}").replace(
        "remind_after", "remind_afer"
    )
    write(tmp_path, "demo.yaml", text)
    assert [i.field for i in issues(tmp_path)] == [
        "actions.refund.connector.retries",
        "actions.refund.approval.remind_afer",
    ]


def test_unknown_slack_ids_with_a_directory(tmp_path: Path) -> None:
    text = VALID
    write(tmp_path, "demo.yaml", text)
    directory = FakeDirectory({"U0OWNER", "U0ALICE"}, set(), {"C0REVIEW"})
    found = [(i.line, i.field, i.message) for i in issues(tmp_path, directory=directory)]
    assert found == [
        (line_of(text, "channel: C0FINANCE"), "actions.refund.approval.channel", "unknown channel C0FINANCE"),
        (
            line_of(text, "approvers:"),
            "actions.refund.approval.approvers.usergroups[0]",
            "unknown user group S0FINANCE",
        ),
        (line_of(text, "approvers:"), "actions.refund.approval.approvers.users[1]", "unknown user U0BOB"),
        (line_of(text, "escalate:"), "actions.refund.approval.escalate[0].mention", "unknown user group S0FINANCE"),
    ]
    assert directory.lookups.count("S0FINANCE") == 1  # asked once, reported at every use


def test_unknown_owner_and_handoff_ids(tmp_path: Path) -> None:
    text = replaced("mode: live", "mode: live\nhandoff: {channel: C0HANDOFF, approvers: {usergroups: [S0ONCALL]}}")
    write(tmp_path, "demo.yaml", text)
    directory = FakeDirectory({"U0ALICE", "U0BOB"}, {"S0FINANCE"}, {"C0REVIEW", "C0FINANCE"})
    found = {i.field: i.message for i in issues(tmp_path, directory=directory)}
    assert found == {
        "owner": "unknown user U0OWNER",
        "handoff.channel": "unknown channel C0HANDOFF",
        "handoff.approvers.usergroups[0]": "unknown user group S0ONCALL",
        "actions.refund.approval.escalate[1].mention": "unknown user U0OWNER",
    }


def test_handoff_is_checked_like_an_approval(tmp_path: Path) -> None:
    handoff = "mode: live\nhandoff: {channel: C0H, approvers: {users: [U0A]}, remind_after: 2d, expire_after: 1d}"
    _, _, field, message = _one(tmp_path, "mode: live", handoff)
    assert (field, message) == ("handoff.remind_after", "reminder would come after the proposal expires")


def test_duplicate_workflow_names_across_files(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", VALID)
    second = write(tmp_path, "b.yaml", replaced("owner: U0OWNER", "owner: U0OTHER"))
    issue = only_issue(tmp_path)
    assert (issue.file, issue.line, issue.field) == (str(second), 1, "workflow")
    assert issue.message == f"workflow 'demo' is also defined in {tmp_path / 'a.yaml'}"


def test_every_issue_in_every_file_is_listed(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", replaced("expire_after: 24h", "expire_after: 1h"))
    write(tmp_path, "b.yaml", replaced("workflow: demo", "workflow: other").replace("owner: U0OWNER", "owner: nobody"))
    write(
        tmp_path,
        "c.yaml",
        replaced("workflow: demo", "workflow: third").replace('"payload.amount > 500"', '"payload.amount >"'),
    )
    found = [(Path(i.file).name, i.field) for i in issues(tmp_path)]
    assert found == [
        ("a.yaml", "actions.refund.approval.escalate[0].after"),
        ("a.yaml", "actions.refund.approval.escalate[1].after"),
        ("b.yaml", "owner"),
        ("c.yaml", "actions.refund.rules[1].when"),
    ]
