"""Builders for policy tests: files on disk, expected lines, and a fake Slack directory."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.policy import PolicyFileError, PolicyIssue, load_policies

SHIPPED = Path(__file__).resolve().parents[2] / "policies"

# A small valid workflow; tests replace one line at a time to break exactly one thing.
VALID = """\
workflow: demo
owner: U0OWNER
review_channel: C0REVIEW
mode: live
success_criteria:
  - {metric: approval_rate, op: ">=", target: 0.9}
actions:
  refund:
    connector: {type: webhook, url: "http://localhost:8091/hook", secret_env: HOOK_SECRET}
    schema:
      type: object
      required: [amount]
      properties:
        amount: {type: number}
        email: {type: string}
        items: {type: array, items: {type: object, properties: {sku: {type: string}}}}
    sensitive: [email]
    approval:
      channel: C0FINANCE
      approvers: {users: [U0ALICE, U0BOB], usergroups: [S0FINANCE]}
      required_approvals: 1
      remind_after: 30m
      escalate: [{after: 2h, mention: S0FINANCE}, {after: 8h, mention: U0OWNER}]
      expire_after: 24h
    rules:
      - {when: "payload.amount <= 0", route: deny, reason: "not positive"}
      - {when: "payload.amount > 500", route: approve, required_approvals: 2, reason: "over 500"}
      - {when: "payload.amount <= 20", route: auto, reason: "small"}
"""


def write(directory: Path, name: str, text: str) -> Path:
    """Write `text` (dedented) to directory/name and return the file."""
    path = directory / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def replaced(old: str, new: str, text: str = VALID) -> str:
    """`text` with the one occurrence of `old` replaced (fails loudly when absent)."""
    assert text.count(old) == 1, old
    return text.replace(old, new)


def line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing `fragment`."""
    hits = [n for n, line in enumerate(textwrap.dedent(text).splitlines(), start=1) if fragment in line]
    return hits[occurrence - 1]


def issues(path: Path, **kwargs: object) -> list[PolicyIssue]:
    """The issues load_policies reports for `path` (it must fail)."""
    with pytest.raises(PolicyFileError) as caught:
        load_policies(path, **kwargs)  # type: ignore[arg-type]
    return caught.value.issues


def only_issue(directory: Path) -> PolicyIssue:
    """The single issue reported for `directory`."""
    found = issues(directory)
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


class FakeDirectory:
    """A Slack workspace that knows a fixed set of ids and counts lookups."""

    def __init__(self, users: set[str], usergroups: set[str], channels: set[str]) -> None:
        self.users, self.usergroups, self.channels = users, usergroups, channels
        self.lookups: list[str] = []

    def user_exists(self, user_id: str) -> bool:
        self.lookups.append(user_id)
        return user_id in self.users

    def usergroup_exists(self, usergroup_id: str) -> bool:
        self.lookups.append(usergroup_id)
        return usergroup_id in self.usergroups

    def channel_exists(self, channel_id: str) -> bool:
        self.lookups.append(channel_id)
        return channel_id in self.channels
