"""Success criteria met or missed with their figures, and suggestions that fire only when they should."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.digest.criteria import judge
from bot.digest.figures import ActionTally, Stats
from bot.digest.suggest import suggest
from bot.policy import PolicySet, SuccessCriterion, load_policies
from tests.factories import write_policies

T = datetime(2026, 10, 1, tzinfo=UTC)


def stats(**counts: object) -> Stats:
    return Stats(start=T, end=T, **counts)


def crit(metric: str, op: str, target: float) -> SuccessCriterion:
    return SuccessCriterion(metric=metric, op=op, target=target)


@pytest.fixture(scope="module")
def policies(tmp_path_factory: pytest.TempPathFactory) -> PolicySet:
    return load_policies(write_policies(tmp_path_factory.mktemp("p")))


def test_criteria_met_missed_and_without_data() -> None:
    month = stats(approved_unedited=85, approved_edited=8, rejected=5, expired=2, p90_seconds=75 * 60)
    results = judge(
        [
            crit("approval_rate", ">=", 0.9),
            crit("expiry_rate", "<=", 0.01),
            crit("p90_minutes_to_decision", "<=", 60),
            crit("shadow_agreement_rate", ">=", 0.95),
            crit("unedited_approval_rate", "==", 0.85),
        ],
        month,
    )
    assert [(j.metric, j.met) for j in results] == [
        ("approval_rate", True),
        ("expiry_rate", False),
        ("p90_minutes_to_decision", False),
        ("shadow_agreement_rate", None),
        ("unedited_approval_rate", True),
    ]
    assert [j.line() for j in results] == [
        "✅ approval rate 93% (target ≥ 90%)",
        "❌ expiry rate 2% (target ≤ 1%)",
        "❌ p90 minutes to decision 75 min (target ≤ 60 min)",
        "➖ shadow agreement rate no data (target ≥ 95%)",
        "✅ unedited approval rate 85% (target = 85%)",
    ]


def test_in_shadow_mode_execution_failures_are_not_measured() -> None:
    [result] = judge([crit("execution_failure_rate", "<=", 0.01)], stats(exec_failed=0, exec_succeeded=10), shadow=True)
    assert (result.value, result.met, result.mark) == (None, None, "➖")


def _tally(decided: int, unedited: int, **kw: object) -> ActionTally:
    return ActionTally(total=decided + 5, decided=decided, approved_unedited=unedited, rules={0: 1, 1: 1, 2: 1}, **kw)


@pytest.mark.parametrize(
    ("decided", "unedited", "fires"),
    [
        (140, 137, True),  # 97.9%
        (20, 19, True),  # exactly 95% of the minimum 20
        (19, 19, False),  # too few decisions to say
        (100, 94, False),  # 94%: people still change or refuse some
    ],
)
def test_auto_candidate(policies: PolicySet, decided: int, unedited: int, fires: bool) -> None:
    month = stats(actions={"send": _tally(decided, unedited)})
    found = [s.text for s in suggest(policies.workflow("payouts"), month, stats()) if s.kind == "auto_candidate"]
    assert bool(found) is fires
    if decided == 140:
        assert found == [
            "`send`: approved unedited 97.9% of 140 times: candidate for auto "
            "(a rule with `route: auto` for the cases people always approve)"
        ]


def test_rules_that_never_matched(policies: PolicySet) -> None:
    wf = policies.workflow("payouts")
    month = stats(actions={"send": ActionTally(total=120, rules={0: 3, 2: 40})})
    texts = [s.text for s in suggest(wf, month, stats()) if s.kind == "unused_rule"]
    assert texts == ["rule 1 of `send` (over 1000) never matched this month in 120 proposals: still needed?"]
    assert [s for s in suggest(wf, stats(), stats()) if s.kind == "unused_rule"] == []  # no volume, no verdict


def test_rising_edit_rate(policies: PolicySet) -> None:
    wf = policies.workflow("payouts")
    before = stats(approved_unedited=90, approved_edited=10)
    rising = stats(approved_unedited=80, approved_edited=20)
    assert [s.text for s in suggest(wf, rising, before)] == [
        "edit rate rose from 10% to 20%: people fix the agent's proposals more often than last month "
        "(prompt or data change?)"
    ]
    assert suggest(wf, stats(approved_unedited=86, approved_edited=14), before) == []  # +4 points: noise
    assert suggest(wf, stats(approved_unedited=1, approved_edited=8), before) == []  # 9 decisions say too little


def test_shadow_workflow_ready_to_go_live(tmp_path: Path) -> None:
    wf = load_policies(write_policies(tmp_path / "p", mode="shadow")).workflow("payouts")
    ready = stats(shadow_agree=58, shadow_edited=1, shadow_rejected=1)
    assert [s.text for s in suggest(wf, ready, stats())] == [
        "shadow agreement 96.7% over 60 decisions: candidate to go live (`mode: live`)"
    ]
    assert suggest(wf, stats(shadow_agree=18, shadow_edited=1), stats()) == []  # 19 decisions
    assert suggest(wf, stats(shadow_agree=50, shadow_edited=10), stats()) == []  # 83% agreement
