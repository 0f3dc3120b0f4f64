"""Loading valid policies: the shipped examples and the public model API."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.errors import NotFound
from bot.policy import ApprovalPolicy, EscalationStep, PolicyFileError, load_policies
from connectors.base import ConnectorConfig
from tests.policy.helpers import SHIPPED, VALID, FakeDirectory, write


def test_shipped_policies_load() -> None:
    policies = load_policies(SHIPPED)
    assert sorted(policies.workflows) == ["crm-updates", "refunds", "support-replies"]
    assert policies.workflow("crm-updates").mode == "shadow"
    for workflow in policies.workflows.values():
        assert workflow.source_file.parent == SHIPPED
        for action in workflow.actions.values():
            assert isinstance(action.connector_config, ConnectorConfig)


def test_shipped_connector_configs_are_the_connectors_own_models() -> None:
    policies = load_policies(SHIPPED)
    email = policies.workflow("support-replies").action("send_reply")
    assert email.connector_type == "email"
    assert email.connector_config.from_address == "support@example.com"  # type: ignore[attr-defined]
    assert email.connector_config.port == 1025  # type: ignore[attr-defined]
    crm = policies.workflow("crm-updates").action("upsert_contact").connector_config
    assert crm.mapping["lifecyclestage"] == "stage"  # type: ignore[attr-defined]
    hook = policies.workflow("refunds").action("issue_refund").connector_config
    assert hook.secret_env == "REFUND_WEBHOOK_SECRET"  # type: ignore[attr-defined]


def test_public_attributes(tmp_path: Path) -> None:
    write(tmp_path, "demo.yaml", VALID)
    workflow = load_policies(tmp_path).workflow("demo")
    action = workflow.action("refund")
    approval = action.approval
    assert (workflow.name, workflow.owner, workflow.review_channel) == ("demo", "U0OWNER", "C0REVIEW")
    assert workflow.source_file == tmp_path / "demo.yaml"
    assert action.name == "refund"
    assert action.connector_type == "webhook"
    assert action.sensitive == ["email"]
    assert [d.field for d in action.display] == ["amount", "email", "items"]  # defaulted from the schema's properties
    assert approval.users == ["U0ALICE", "U0BOB"]
    assert approval.usergroups == ["S0FINANCE"]
    assert approval.remind_after == timedelta(minutes=30)
    assert approval.reminder_cap == 3
    assert approval.escalate == [
        EscalationStep(after=timedelta(hours=2), mention="S0FINANCE"),
        EscalationStep(after=timedelta(hours=8), mention="U0OWNER"),
    ]
    assert approval.expire_after == timedelta(hours=24)
    assert approval.allow_self_approval is False
    assert [rule.route for rule in action.rules] == ["deny", "approve", "auto"]


def test_defaults_for_optional_keys(tmp_path: Path) -> None:
    write(
        tmp_path,
        "mini.yaml",
        """\
        workflow: mini
        owner: U0OWNER
        review_channel: C0REVIEW
        actions:
          note:
            connector: callback
            schema: {type: object}
            approval: {channel: C0NOTES, approvers: {users: [U0ALICE]}}
        """,
    )
    workflow = load_policies(tmp_path).workflow("mini")
    approval = workflow.action("note").approval
    assert workflow.mode == "live"
    assert workflow.success_criteria == []
    assert workflow.action("note").rules == []
    assert approval.required_approvals == 1
    assert approval.remind_after is None
    assert approval.escalate == []
    assert approval.expire_after == timedelta(hours=24)
    assert approval.reminder_cap == 3
    assert workflow.action("note").connector_type == "callback"


def test_handoff_defaults_to_owner_in_review_channel(tmp_path: Path) -> None:
    write(tmp_path, "demo.yaml", VALID)
    handoff = load_policies(tmp_path).workflow("demo").handoff_policy()
    assert isinstance(handoff, ApprovalPolicy)
    assert (handoff.channel, handoff.users, handoff.usergroups) == ("C0REVIEW", ["U0OWNER"], [])


def test_explicit_handoff_is_used() -> None:
    handoff = load_policies(SHIPPED).workflow("refunds").handoff_policy()
    assert handoff.channel == "C0FINANCE"
    assert handoff.usergroups == ["S0FINANCE"]
    assert handoff.expire_after == timedelta(days=3)


def test_unknown_workflow_and_action_raise_not_found(tmp_path: Path) -> None:
    write(tmp_path, "demo.yaml", VALID)
    policies = load_policies(tmp_path)
    with pytest.raises(NotFound, match="unknown workflow 'nope'"):
        policies.workflow("nope")
    with pytest.raises(NotFound, match="unknown action 'nope' in workflow 'demo'"):
        policies.workflow("demo").action("nope")


def test_case_files_are_not_policies(tmp_path: Path) -> None:
    write(tmp_path, "demo.yaml", VALID)
    write(tmp_path, "demo.tests.yaml", "cases: []\n")
    assert list(load_policies(tmp_path).workflows) == ["demo"]


def test_single_file_path_loads_that_file(tmp_path: Path) -> None:
    path = write(tmp_path, "demo.yaml", VALID)
    assert list(load_policies(path).workflows) == ["demo"]


def test_missing_and_empty_directories_are_issues(tmp_path: Path) -> None:
    with pytest.raises(PolicyFileError, match="no such file or directory"):
        load_policies(tmp_path / "absent")
    with pytest.raises(PolicyFileError, match=r"no policy files \(\*\.yaml\) found"):
        load_policies(tmp_path)


def test_yaml_anchors_and_merge_keys_work(tmp_path: Path) -> None:
    write(
        tmp_path,
        "anchors.yaml",
        """\
        workflow: anchors
        owner: U0OWNER
        review_channel: C0REVIEW
        actions:
          first:
            connector: callback
            schema: {type: object}
            approval: &approval {channel: C0OPS, approvers: {users: [U0ALICE]}, expire_after: 2h}
          second:
            connector: callback
            schema: {type: object}
            approval:
              <<: *approval
              expire_after: 4h
        """,
    )
    actions = load_policies(tmp_path).workflow("anchors").actions
    assert actions["first"].approval.expire_after == timedelta(hours=2)
    assert actions["second"].approval.channel == "C0OPS"
    assert actions["second"].approval.expire_after == timedelta(hours=4)
    # `current_stage` in the shipped CRM policy reuses the stage enum through `<<: *stages`.
    crm = load_policies(SHIPPED).workflow("crm-updates").action("upsert_contact")
    assert crm.payload_schema["properties"]["current_stage"]["enum"][0] == "subscriber"


def test_directory_that_knows_every_id_passes_and_each_id_is_asked_once(tmp_path: Path) -> None:
    write(tmp_path, "demo.yaml", VALID)
    directory = FakeDirectory({"U0OWNER", "U0ALICE", "U0BOB"}, {"S0FINANCE"}, {"C0REVIEW", "C0FINANCE"})
    load_policies(tmp_path, directory=directory)
    assert sorted(directory.lookups) == sorted(["U0OWNER", "C0REVIEW", "C0FINANCE", "U0ALICE", "U0BOB", "S0FINANCE"])
