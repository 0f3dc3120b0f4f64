"""Exact figures from a small hand-built month, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.digest.figures import Ranked
from bot.digest.period import Period
from bot.digest.report import DigestReport, build
from bot.flow.context import Services
from tests.digest.rows import insert, row

PARIS = ZoneInfo("Europe/Paris")
OCT5 = datetime(2026, 10, 5, 10, tzinfo=UTC)
SEP9 = datetime(2026, 9, 9, 10, tzinfo=UTC)
NOW = datetime(2026, 11, 2, 8, tzinfo=UTC)


def october(svc: Services) -> None:
    """17 payouts proposals in October (Paris time), 3 in September, and rows that must not count."""
    ok, failed = {"execution_status": "succeeded"}, {"execution_status": "failed"}
    insert(
        svc,
        row(at=OCT5, minutes=10, **ok),
        row(at=OCT5, minutes=20, **ok),
        row(at=OCT5, minutes=30, escalations=1, **ok),
        row(at=OCT5, minutes=40, execution_error="HTTP 503", **failed),
        row(at=OCT5, minutes=50, edited=True, execution_error="timeout", **failed),
        row(at=OCT5, minutes=60, edited=True, execution_error="SMTP 451", **failed),
        row(at=OCT5, status="rejected", minutes=70, decision_reason="Wrong account"),
        row(at=OCT5, status="rejected", minutes=80, decision_reason="  wrong ACCOUNT "),
        row(at=OCT5, status="rejected", minutes=90, decision_reason="Too large"),
        row(at=OCT5, status="expired", minutes=1440, escalations=2),
        row(at=OCT5, status="cancelled", minutes=5),
        row(at=OCT5, status="pending"),
        row(at=OCT5, status="auto_approved", route="auto", rule_index=2, minutes=0, **ok),
        row(
            at=OCT5, status="auto_approved", route="auto", rule_index=2, minutes=0, execution_error="HTTP 503", **failed
        ),
        row(
            at=OCT5,
            status="auto_approved",
            route="auto",
            rule_index=2,
            minutes=0,
            execution_error="bad gateway",
            **failed,
        ),
        row(at=datetime(2026, 9, 30, 22, 30, tzinfo=UTC), status="denied", route="deny", rule_index=0, minutes=0),
        row(at=OCT5, kind="handoff", action="handoff", status="taken", minutes=15),
        # not October in Paris, or not this workflow
        row(at=datetime(2026, 10, 31, 23, 30, tzinfo=UTC), minutes=1),
        row(at=OCT5, workflow="other", minutes=1),
        # September, for the comparison
        row(at=SEP9, minutes=5),
        row(at=SEP9, minutes=15),
        row(at=SEP9, status="rejected", minutes=25, decision_reason="No"),
    )


def report(svc: Services) -> DigestReport:
    return build(svc.engine, svc.policies.workflow("payouts"), Period(2026, 10), PARIS, NOW)


def test_month_figures_are_exact(svc: Services) -> None:
    october(svc)
    cur = report(svc).current
    assert (cur.total, cur.by_route, cur.by_kind) == (
        17,
        {"approve": 13, "auto": 3, "deny": 1},
        {"proposal": 16, "handoff": 1},
    )
    assert (cur.approved_unedited, cur.approved_edited, cur.rejected, cur.expired, cur.cancelled, cur.pending) == (
        4,
        2,
        3,
        1,
        1,
        1,
    )
    assert (cur.closed, cur.handoffs_taken, cur.escalations, cur.escalated, cur.human_routed) == (11, 1, 3, 2, 13)
    assert (cur.exec_succeeded, cur.exec_failed) == (4, 5)
    assert (cur.timed, cur.p50_seconds, cur.p90_seconds) == (9, 50 * 60, 90 * 60)  # nearest rank of 10..90 min
    assert cur.top_errors == [
        Ranked(text="HTTP 503", count=2),
        Ranked(text="SMTP 451", count=1),
        Ranked(text="bad gateway", count=1),
    ]
    assert cur.top_reasons == [Ranked(text="Wrong account", count=2), Ranked(text="Too large", count=1)]
    assert cur.actions["send"].model_dump() == {
        "total": 16,
        "decided": 9,
        "approved_unedited": 4,
        "rules": {0: 1, 2: 3},
    }
    assert cur.daily[0] == {"denied": 1}
    assert sum(cur.daily[4].values()) == 16
    assert len(cur.daily) == 31


def test_rates_and_comparison_with_last_month(svc: Services) -> None:
    october(svc)
    r = report(svc)
    rates = r.current.rates()
    assert rates["approval_rate"] == pytest.approx(6 / 11)
    assert rates["unedited_approval_rate"] == pytest.approx(4 / 11)
    assert rates["edit_rate"] == pytest.approx(2 / 11)
    assert rates["rejection_rate"] == pytest.approx(3 / 11)
    assert (rates["expiry_rate"], rates["cancel_rate"]) == (pytest.approx(1 / 11), pytest.approx(1 / 11))
    assert rates["auto_rate"] == pytest.approx(3 / 16)
    assert rates["execution_failure_rate"] == pytest.approx(5 / 9)
    assert rates["escalation_rate"] == pytest.approx(2 / 13)
    assert rates["shadow_agreement_rate"] is None
    assert (rates["p50_minutes_to_decision"], rates["p90_minutes_to_decision"]) == (50, 90)
    prev = r.previous
    assert (prev.total, prev.approved_unedited, prev.rejected, prev.p50_seconds, prev.p90_seconds) == (
        3,
        2,
        1,
        15 * 60,
        25 * 60,
    )
    assert prev.top_errors == []
    assert prev.daily == []


def test_an_empty_month_is_a_sensible_digest(svc: Services) -> None:
    r = report(svc)
    assert r.is_empty
    assert r.current.total == 0
    assert r.current.p50_seconds is None
    assert all(value is None for value in r.current.rates().values())
    assert r.suggestions == []
    assert len(r.current.daily) == 31


def test_shadow_agreement_counts_only_shadow_proposals(svc: Services) -> None:
    shadow = {"mode": "shadow", "execution_status": "skipped"}
    insert(
        svc,
        *[row(at=OCT5, minutes=5, **shadow) for _ in range(3)],
        row(at=OCT5, minutes=5, edited=True, **shadow),
        row(at=OCT5, status="rejected", minutes=5, decision_reason="no", mode="shadow"),
        row(at=OCT5, status="expired", minutes=1440, mode="shadow"),
        row(at=OCT5, minutes=5),
    )
    cur = report(svc).current
    assert (cur.shadow_agree, cur.shadow_edited, cur.shadow_rejected, cur.shadow_expired) == (3, 1, 1, 1)
    assert cur.metric("shadow_agreement_rate") == pytest.approx(3 / 5)
    assert cur.approved_unedited == 4  # the live one counts in the month's decisions, not in agreement
