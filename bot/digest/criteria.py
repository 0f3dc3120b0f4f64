"""Success criteria from the policy, judged against a month's figures: met, missed, or no data."""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence

from pydantic import BaseModel

from bot.digest import formatting
from bot.digest.figures import Stats
from bot.policy import SuccessCriterion

COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
}
NOT_MEASURED_IN_SHADOW = frozenset({"execution_failure_rate"})  # nothing executes in shadow mode


class Judgement(BaseModel):
    """One criterion with this month's figure; `met` is None when there was nothing to measure."""

    metric: str
    op: str
    target: float
    value: float | None
    met: bool | None

    @property
    def mark(self) -> str:
        """✅ met, ❌ missed, ➖ no data."""
        return {True: "✅", False: "❌", None: "➖"}[self.met]

    def line(self) -> str:
        """ "✅ approval rate 93.8% (target ≥ 90%)"."""
        value = formatting.metric_value(self.metric, self.value) if self.value is not None else "no data"
        goal = formatting.target(self.metric, self.op, self.target)
        return f"{self.mark} {formatting.label(self.metric)} {value} (target {goal})"


def judge(criteria: Sequence[SuccessCriterion], stats: Stats, *, shadow: bool = False) -> list[Judgement]:
    """Each criterion met or missed with its figure (figures that shadow mode cannot produce count as no data)."""
    results = []
    for c in criteria:
        value = None if shadow and c.metric in NOT_MEASURED_IN_SHADOW else stats.metric(c.metric)
        met = None if value is None else COMPARE[c.op](round(value, 9), c.target)
        results.append(Judgement(metric=c.metric, op=c.op, target=c.target, value=value, met=met))
    return results
