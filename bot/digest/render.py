"""Block Kit for the digest message: pure builders, within Slack's limits by construction.

Limits kept: at most 50 blocks, section text ≤ 3000 characters, at most 10 fields of ≤ 2000 each.
Every text that comes from data (errors, reasons, names) is escaped, so it can never mention or link.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.digest import formatting
from bot.digest.figures import Ranked, Stats
from bot.digest.report import DigestReport
from bot.slack.ids import Id
from bot.slack.mrkdwn import escape

MAX_BLOCKS, MAX_TEXT, MAX_FIELD, MAX_FIELDS, MAX_HEADER = 50, 3000, 2000, 10, 150


def clip(text: str, limit: int) -> str:
    """Cut to `limit` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def review_value(report: DigestReport) -> str:
    """The button value naming the digest: "2026-10:support-replies"."""
    return f"{report.period}:{report.workflow}"


def parse_review_value(value: str) -> tuple[str, str]:
    """(period, workflow) from a button value."""
    period, _, workflow = value.partition(":")
    return period, workflow


def digest_text(report: DigestReport) -> str:
    """The notification text (also what screen readers and old clients show)."""
    return (
        f"<@{report.owner}> monthly digest of {escape(report.workflow)} for {report.label}: "
        f"{report.current.total:,} proposals"
    )


def digest_blocks(report: DigestReport) -> list[Block]:
    """The whole digest message."""
    cur, prev = report.current, report.previous
    blocks: list[Block | None] = [
        HeaderBlock(text=clip(f"Monthly digest · {report.workflow} · {report.label}", MAX_HEADER)),
        _section(_intro(report)),
    ]
    if not report.is_empty:
        blocks += [
            _section("*Volume*", _volume_fields(cur, prev)),
            _section(*_decisions(cur, prev)),
            _section("*Speed and follow-up*", _speed_fields(cur, prev)),
        ]
        blocks += [
            b
            for b in (
                _ranked("Top execution errors", cur.top_errors),
                _ranked("Top rejection reasons", cur.top_reasons),
                _shadow(report),
            )
            if b
        ]
    blocks += [DividerBlock(), _criteria(report), _suggestions(report), _footer(report), _review(report)]
    return [b for b in blocks if b is not None][:MAX_BLOCKS]


def _section(text: str, fields: list[str] | None = None) -> SectionBlock:
    objs = [MarkdownTextObject(text=clip(f, MAX_FIELD)) for f in (fields or [])[:MAX_FIELDS]] or None
    return SectionBlock(text=MarkdownTextObject(text=clip(text, MAX_TEXT)), fields=objs)


def _intro(r: DigestReport) -> str:
    mode = " · *SHADOW* (nothing executes)" if r.mode == "shadow" else ""
    if r.is_empty:
        return (
            f"<@{r.owner}> *{escape(r.workflow)}* had no proposals in {r.label}{mode}. "
            "If the agent should have been busy, check that it still reaches Countersign."
        )
    return (
        f"<@{r.owner}> here is {r.label} for *{escape(r.workflow)}*{mode}: "
        f"*{r.current.total:,}* proposals ({formatting.count_delta(r.current.total, r.previous.total)} vs last month)."
    )


def _volume_fields(cur: Stats, prev: Stats) -> list[str]:
    names = {"auto": "Auto-approved", "approve": "Sent to people", "deny": "Denied by policy"}
    fields = [
        f"*{label}*\n{cur.by_route.get(k, 0):,}  {_count_change(cur.by_route, prev.by_route, k)}"
        for k, label in names.items()
    ]
    if cur.by_kind.get("handoff"):
        fields.append(f"*Handoffs*\n{cur.by_kind['handoff']:,} ({cur.handoffs_taken:,} taken)")
    return fields


def _count_change(now: dict[str, int], before: dict[str, int], key: str) -> str:
    return formatting.count_delta(now.get(key, 0), before.get(key, 0))


def _decisions(cur: Stats, prev: Stats) -> tuple[str, list[str]]:
    rows = [
        ("approval_rate", "Approved", cur.approved_unedited + cur.approved_edited),
        ("unedited_approval_rate", "…unedited", cur.approved_unedited),
        ("edit_rate", "…with edits", cur.approved_edited),
        ("rejection_rate", "Rejected", cur.rejected),
        ("expiry_rate", "Expired", cur.expired),
        ("cancel_rate", "Cancelled", cur.cancelled),
    ]
    fields = [
        f"*{label}*\n{formatting.percent(cur.metric(m))} ({n:,})  {formatting.delta(m, cur.metric(m), prev.metric(m))}"
        for m, label, n in rows
    ]
    pending = f", {cur.pending:,} still pending" if cur.pending else ""
    return f"*Decisions by people* ({cur.closed:,} closed{pending})", fields


def _speed_fields(cur: Stats, prev: Stats) -> list[str]:
    def speed(metric: str, label: str) -> str:
        change = formatting.delta(metric, cur.metric(metric), prev.metric(metric))
        return f"*Time to decision {label}*\n{formatting.minutes(cur.metric(metric))}  {change}"

    runs = cur.exec_succeeded + cur.exec_failed
    return [
        speed("p50_minutes_to_decision", "p50"),
        speed("p90_minutes_to_decision", "p90"),
        f"*Escalations*\n{cur.escalations:,} ({cur.escalated:,} proposals)  "
        f"{formatting.count_delta(cur.escalations, prev.escalations)}",
        f"*Execution failures*\n{cur.exec_failed:,} of {runs:,}  "
        f"{formatting.count_delta(cur.exec_failed, prev.exec_failed)}",
    ]


def _ranked(title: str, items: list[Ranked]) -> SectionBlock | None:
    if not items:
        return None
    lines = [f"{i}. {escape(clip(' '.join(r.text.split()), 300))} — {r.count:,}×" for i, r in enumerate(items, 1)]
    return _section(f"*{title}*\n" + "\n".join(lines))


def _shadow(r: DigestReport) -> SectionBlock | None:
    cur = r.current
    if not (cur.shadow_decided or cur.shadow_expired):
        return None
    agree = formatting.percent(cur.metric("shadow_agreement_rate"))
    return _section(
        f"*Shadow agreement* {agree}: of {cur.shadow_decided:,} decisions, people would have approved "
        f"{cur.shadow_agree:,} unedited, {cur.shadow_edited:,} with edits and rejected "
        f"{cur.shadow_rejected:,}; {cur.shadow_expired:,} expired unreviewed."
    )


def _criteria(r: DigestReport) -> SectionBlock:
    if not r.criteria:
        return _section("*Success criteria*\nNone set (add `success_criteria` to the policy to be judged here).")
    return _section("*Success criteria*\n" + "\n".join(escape(j.line()) for j in r.criteria))


def _suggestions(r: DigestReport) -> SectionBlock | None:
    if not r.suggestions:
        return None
    return _section("*Suggestions*\n" + "\n".join(f"• {escape(s.text)}" for s in r.suggestions))


def _footer(r: DigestReport) -> ContextBlock:
    return ContextBlock(
        elements=[
            MarkdownTextObject(
                text=(
                    f"Proposals created in {r.label} ({r.timezone}). Daily chart in the thread. "
                    f"Generated {_local(r.generated_at, r.timezone)}."
                )
            )
        ]
    )


def _review(r: DigestReport) -> Block:
    if r.reviewed_by and r.reviewed_at:
        return ContextBlock(
            block_id=Id.REVIEW_BLOCK,
            elements=[
                MarkdownTextObject(
                    text=f"✅ Reviewed by <@{escape(r.reviewed_by)}> on {_local(r.reviewed_at, r.timezone)}"
                )
            ],
        )
    return ActionsBlock(
        block_id=Id.REVIEW_BLOCK,
        elements=[
            ButtonElement(text="Mark reviewed", action_id=Id.MARK_REVIEWED, value=review_value(r), style="primary")
        ],
    )


def _local(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
