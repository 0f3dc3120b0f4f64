"""Policy files that try to run code (YAML tags, alias bombs, CEL tricks) are refused when they load, and the
service does not start with them; agent payloads cannot make rule evaluation run away."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.config import Settings
from bot.errors import ConfigError
from bot.policy import PolicyFileError, evaluate, load_policies
from bot.wiring import build_services

BASE = """workflow: pay
owner: U0OWNER
review_channel: C0REVIEW
actions:
  send:
    connector: callback
    schema: {{type: object}}
    approval: {{channel: C0PAY, approvers: {{users: [U0ALICE]}}}}
    rules:
      - {{when: {when}, route: auto, reason: r}}
"""


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "policies").mkdir(exist_ok=True)
    (tmp_path / "policies" / "pay.yaml").write_text(text)
    return tmp_path / "policies"


def _refused(directory: Path) -> str:
    with pytest.raises(PolicyFileError) as caught:
        load_policies(directory)
    return str(caught.value)


@pytest.mark.parametrize(
    "tagged",
    [
        '!!python/object/apply:os.system ["touch {marker}"]',
        '!!python/object/apply:subprocess.check_output [["touch", "{marker}"]]',
        '!!python/object/new:subprocess.Popen [["touch", "{marker}"]]',
        "!!python/name:os.system",
        "!!python/module:os",
        "!!python/object:builtins.exec {{}}",
        "!include /etc/passwd",
        "!!binary aGVsbG8=",
    ],
)
@pytest.mark.parametrize("where", ["top", "rule", "connector"])
def test_yaml_tags_that_would_run_code_are_refused_and_nothing_runs(tmp_path: Path, tagged: str, where: str) -> None:
    marker = tmp_path / "pwned"
    value = tagged.format(marker=marker)
    text = BASE.format(when='"true"')
    if where == "top":
        text += f"extra: {value}\n"
    elif where == "rule":
        text = BASE.format(when=value)
    else:
        text = text.replace("connector: callback", f"connector: {value}")
    message = _refused(_write(tmp_path, text))
    assert "pay.yaml" in message
    assert not marker.exists()


def test_the_service_does_not_start_with_such_a_policy(tmp_path: Path) -> None:
    directory = _write(tmp_path, BASE.format(when='"true"') + "x: !!python/object/apply:os.getcwd []\n")
    settings = Settings(_env_file=None, database_url=f"sqlite:///{tmp_path}/db.sqlite", policies_dir=directory)
    with pytest.raises(ConfigError, match="COUNTERSIGN_POLICIES: invalid policy files"):
        build_services(settings)


def test_an_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    started = time.monotonic()
    message = _refused(_write(tmp_path, "\n".join(lines) + "\n" + BASE.format(when='"true"')))
    assert "more than 100000 values once aliases are expanded" in message
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    "when",
    [
        "\"__import__('os').system('touch /tmp/x')\"",
        "\"exec('1')\"",
        "\"eval('1')\"",
        "\"os.system('id')\"",
        '"payload.amount > 1; payload.amount"',
        "\"payload.amount > 1 || import('os')\"",
        '"${payload.amount}"',
        '"{{ payload.amount }}"',
        '"' + "(" * 5000 + "true" + ")" * 5000 + '"',
        "{cel: 1}",
        "[1, 2]",
    ],
)
def test_cel_tricks_are_refused_at_load(tmp_path: Path, when: str) -> None:
    message = _refused(_write(tmp_path, BASE.format(when=when)))
    assert "rules[0].when" in message


def test_python_attribute_names_are_only_map_keys_in_cel(tmp_path: Path) -> None:
    """CEL is evaluated in Rust over plain data: `__class__` is a missing key, not Python introspection, and a rule
    that cannot be evaluated never runs anything automatically."""
    policies = load_policies(_write(tmp_path, BASE.format(when='"payload.__class__.__bases__ != null"')))
    wf = policies.workflow("pay")
    decision = evaluate(wf, wf.action("send"), payload={"amount": 1}, context={})
    assert decision.route == "approve"
    spoofed = evaluate(wf, wf.action("send"), payload={"__class__": {"__bases__": 1}}, context={})
    assert spoofed.route == "auto"  # only the agent's own data was read


def test_rules_cannot_be_made_to_run_away_by_agent_payloads(tmp_path: Path) -> None:
    """Regular expressions in CEL run in linear time; deep or huge payloads are refused or evaluated quickly."""
    rule = "\"payload.to.matches('^(a+)+$') || payload.items.exists(i, i.matches('(x+x+)+y'))\""
    policies = load_policies(_write(tmp_path, BASE.format(when=rule)))
    wf = policies.workflow("pay")
    deep: object = "x"
    for _ in range(2000):
        deep = [deep]
    for payload in ({"to": "a" * 50_000 + "!", "items": ["x" * 30_000]}, {"to": "a", "items": [], "deep": deep}):
        started = time.monotonic()
        decision = evaluate(wf, wf.action("send"), payload=payload, context={})
        assert time.monotonic() - started < 2
        assert decision.route in {"approve", "auto"}  # evaluated or not, never an exception or a hang
