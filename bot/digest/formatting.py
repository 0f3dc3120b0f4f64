"""How figures read in the digest: percentages, durations, and the change versus last month."""

from __future__ import annotations

OPS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "="}


def is_rate(metric: str) -> bool:
    """Rates are fractions shown as percentages; the rest are minutes."""
    return metric.endswith("_rate")


def percent(value: float | None) -> str:
    """0.875 -> "87.5%" (whole numbers lose the decimal: "90%")."""
    if value is None:
        return "n/a"
    shown = f"{value * 100:.1f}".removesuffix(".0")
    return f"{shown}%"


def minutes(value: float | None) -> str:
    """Minutes as "45 min", "2.5 h" or "1.2 d"."""
    if value is None:
        return "n/a"
    if value < 90:
        return f"{value:.0f} min" if value >= 10 else f"{value:.1f} min".replace(".0 min", " min")
    if value < 48 * 60:
        return f"{value / 60:.1f} h".replace(".0 h", " h")
    return f"{value / 1440:.1f} d".replace(".0 d", " d")


def metric_value(metric: str, value: float | None) -> str:
    """A metric's value in its own unit."""
    return percent(value) if is_rate(metric) else minutes(value)


def target(metric: str, op: str, goal: float) -> str:
    """ "≥ 90%" or "≤ 60 min"."""
    return f"{OPS.get(op, op)} {metric_value(metric, goal)}"


def delta(metric: str, now: float | None, before: float | None) -> str:
    """ "▲ 4.2 pts" / "▼ 12 min" / "= same" versus last month, or "" when either month has no figure."""
    if now is None or before is None:
        return ""
    change = now - before
    if abs(change) < 1e-9:
        return "= same"
    arrow = "▲" if change > 0 else "▼"
    size = f"{abs(change) * 100:.1f} pts".replace(".0 pts", " pts") if is_rate(metric) else minutes(abs(change))
    return f"{arrow} {size}"


def count_delta(now: int, before: int) -> str:
    """ "▲ 12" / "▼ 3" / "= same" for counts."""
    if now == before:
        return "= same"
    return f"{'▲' if now > before else '▼'} {abs(now - before):,}"


def label(metric: str) -> str:
    """ "p90_minutes_to_decision" -> "p90 minutes to decision"."""
    return metric.replace("_", " ")
