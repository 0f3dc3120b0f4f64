"""Suggestions for the workflow owner, drawn from this month's figures and last month's."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from bot.digest import formatting
from bot.digest.figures import Stats
from bot.policy import WorkflowPolicy

AUTO_MIN_DECISIONS = 20  # fewer decisions than this say too little to automate on
AUTO_MIN_SHARE = 0.95
EDIT_RISE = 0.05  # five percentage points
EDIT_MIN_CLOSED = 10
LIVE_MIN_DECISIONS = 20
LIVE_MIN_AGREEMENT = 0.95

Kind = Literal["auto_candidate", "unused_rule", "edit_rate_rising", "go_live"]


class Suggestion(BaseModel):
    """One thing the owner may want to change, with the figure behind it."""

    kind: Kind
    text: str


def suggest(wf: WorkflowPolicy, now: Stats, before: Stats) -> list[Suggestion]:
    """Auto-approval candidates, rules that never matched, a rising edit rate, a shadow workflow ready to go live."""
    return [*_auto_candidates(now), *_unused_rules(wf, now), *_edit_rate(now, before), *_go_live(wf, now)]


def _auto_candidates(now: Stats) -> list[Suggestion]:
    found = []
    for name, tally in sorted(now.actions.items()):
        share = tally.approved_unedited / tally.decided if tally.decided else 0.0
        if tally.decided >= AUTO_MIN_DECISIONS and share >= AUTO_MIN_SHARE:
            found.append(
                Suggestion(
                    kind="auto_candidate",
                    text=(
                        f"`{name}`: approved unedited {formatting.percent(share)} of {tally.decided} times: "
                        "candidate for auto "
                        "(a rule with `route: auto` for the cases people always approve)"
                    ),
                )
            )
    return found


def _unused_rules(wf: WorkflowPolicy, now: Stats) -> list[Suggestion]:
    found = []
    for name, action in wf.actions.items():
        tally = now.actions.get(name)
        if tally is None or tally.total == 0:
            continue  # no proposals at all says nothing about the rules
        for index, rule in enumerate(action.rules):
            if tally.rules.get(index, 0) == 0:
                found.append(
                    Suggestion(
                        kind="unused_rule",
                        text=(
                            f"rule {index} of `{name}` ({rule.reason}) never matched this month "
                            f"in {tally.total:,} proposals: still needed?"
                        ),
                    )
                )
    return found


def _edit_rate(now: Stats, before: Stats) -> list[Suggestion]:
    was, is_ = before.metric("edit_rate"), now.metric("edit_rate")
    if was is None or is_ is None or min(now.closed, before.closed) < EDIT_MIN_CLOSED or is_ - was < EDIT_RISE:
        return []
    return [
        Suggestion(
            kind="edit_rate_rising",
            text=(
                f"edit rate rose from {formatting.percent(was)} to {formatting.percent(is_)}: "
                "people fix the agent's proposals more "
                "often than last month (prompt or data change?)"
            ),
        )
    ]


def _go_live(wf: WorkflowPolicy, now: Stats) -> list[Suggestion]:
    agreement = now.metric("shadow_agreement_rate")
    if wf.mode != "shadow" or agreement is None or now.shadow_decided < LIVE_MIN_DECISIONS:
        return []
    if agreement < LIVE_MIN_AGREEMENT:
        return []
    return [
        Suggestion(
            kind="go_live",
            text=(
                f"shadow agreement {formatting.percent(agreement)} over {now.shadow_decided} decisions: "
                "candidate to go live (`mode: live`)"
            ),
        )
    ]
