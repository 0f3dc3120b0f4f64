"""The sandbox's pieces: the workspace and stand-ins derived from policies, and start-up failures."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bot.policy import load_policies
from bot.sandbox import Sandbox, SandboxConfig, SandboxError
from bot.sandbox.people import seed_workspace
from bot.sandbox.targets import TargetConflict, local_targets
from tests.sandbox.conftest import ROOT, example_policies

OTHER_POLICY = """
workflow: ops
owner: U0ZED
review_channel: C0OPSREVIEW
actions:
  restart:
    connector: {{type: webhook, url: "{url}", secret_env: OPS_SECRET}}
    schema: {{type: object}}
    approval:
      channel: C0OPS
      approvers: {{users: [U0ALICE], usergroups: [S0ONCALL]}}
      escalate: [{{after: 1h, mention: S0SRE}}, {{after: 2h, mention: U0BOSS}}]
"""


def test_example_policies_name_three_local_stand_ins() -> None:
    targets = local_targets(load_policies(ROOT / "policies"))
    assert [(t.kind, t.port, t.env) for t in targets] == [
        ("smtp", 1025, []),
        ("crm", 8090, ["CRM_TOKEN"]),
        ("webhook", 8091, ["REFUND_WEBHOOK_SECRET"]),
    ]
    crm = targets[1]
    assert crm.crm_required == ["email"]
    assert "lead" in crm.crm_options["lifecyclestage"]


def test_any_policy_gets_people_groups_and_channels(tmp_path: Path) -> None:
    (tmp_path / "ops.yaml").write_text(OTHER_POLICY.format(url="https://ops.example.com/hook"))
    policies = load_policies(tmp_path)
    seed = seed_workspace(policies)
    assert {"U0ZED", "U0ALICE", "U0BOSS"} <= set(seed.users)
    assert seed.users["U0ALICE"]["real_name"] == "Alice"
    assert seed.usergroups["S0ONCALL"]["users"] == ["U0ALICE"]
    assert seed.usergroups["S0SRE"]["users"]  # a group with no listed member still has someone in it
    assert list(seed.channels) == ["C0OPS", "C0OPSREVIEW"]  # approval channels first, review last
    assert all("UBOT" in ch["members"] for ch in seed.channels.values())
    assert local_targets(policies) == []  # nothing local to stand in for


def test_two_kinds_of_stand_in_cannot_share_a_port(tmp_path: Path) -> None:
    (tmp_path / "ops.yaml").write_text(OTHER_POLICY.format(url="http://localhost:1025/hook"))
    (tmp_path / "support.yaml").write_text((ROOT / "policies" / "support-replies.yaml").read_text())
    with pytest.raises(TargetConflict, match="port 1025"):
        local_targets(load_policies(tmp_path))


def test_a_taken_port_is_one_clear_error(tmp_path: Path) -> None:
    example_policies(tmp_path / "policies")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        box = Sandbox(
            SandboxConfig(
                data_dir=tmp_path / "data", policies_dir=tmp_path / "policies", page_port=0, api_port=port, demo=False
            )
        )
        with pytest.raises(SandboxError, match=rf"Countersign service on port {port}.*--api-port"):
            box.start()


def test_invalid_policies_stop_start_up(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("workflow: bad\nactions: {}\n")
    with pytest.raises(SandboxError, match="invalid policy files"):
        Sandbox(SandboxConfig(data_dir=tmp_path / "data", policies_dir=tmp_path)).start()
