"""The digest message: what people read, within Slack's limits, with data that can never mention anyone."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.digest.criteria import Judgement
from bot.digest.figures import ActionTally, Ranked, Stats
from bot.digest.render import digest_blocks, digest_text, parse_review_value, review_value
from bot.digest.report import DigestReport
from bot.digest.suggest import Suggestion
from bot.fakeslack import check_message_blocks
from bot.slack.ids import Id

T = datetime(2026, 10, 1, tzinfo=UTC)


def report(current: Stats | None = None, **kw: object) -> DigestReport:
    fields: dict[str, object] = {
        "workflow": "support-replies",
        "period": "2026-10",
        "label": "October 2026",
        "owner": "U012OWNER",
        "review_channel": "C0REVIEW",
        "mode": "live",
        "timezone": "Europe/Paris",
        "generated_at": datetime(2026, 11, 2, 8, tzinfo=UTC),
        "current": current or Stats(start=T, end=T),
        "previous": Stats(start=T, end=T),
        "criteria": [],
        "suggestions": [],
    }
    fields.update(kw)
    return DigestReport.model_validate(fields)


def busy() -> Stats:
    return Stats(
        start=T,
        end=T,
        total=140,
        by_route={"auto": 40, "approve": 95, "deny": 5},
        by_kind={"proposal": 140},
        approved_unedited=70,
        approved_edited=12,
        rejected=8,
        expired=3,
        cancelled=2,
        human_routed=95,
        escalations=4,
        escalated=3,
        exec_succeeded=120,
        exec_failed=2,
        timed=90,
        p50_seconds=720,
        p90_seconds=3 * 3600,
        actions={"send_reply": ActionTally(total=140)},
        top_errors=[Ranked(text="SMTP 451 <!channel> & <@U999> <https://evil.example|click>", count=2)],
        top_reasons=[Ranked(text="tone is off", count=5)],
    )


def text_of(blocks: list) -> str:
    return json.dumps([b.to_dict() for b in blocks], ensure_ascii=False)


def test_digest_shows_the_figures_and_mentions_the_owner() -> None:
    r = report(
        busy(),
        previous=Stats(start=T, end=T, total=120, approved_unedited=70, p50_seconds=900),
        criteria=[Judgement(metric="approval_rate", op=">=", target=0.9, value=82 / 95, met=False)],
        suggestions=[Suggestion(kind="auto_candidate", text="`send_reply`: approved unedited 98% of 140 times")],
    )
    blocks = digest_blocks(r)
    shown = text_of(blocks)
    assert digest_text(r).startswith("<@U012OWNER> monthly digest of support-replies for October 2026")
    for figure in (
        "*140* proposals (▲ 20 vs last month)",
        "*Auto-approved*\\n40",
        "*Approved*\\n86.3% (82)",
        "*…with edits*\\n12.6% (12)",
        "*Time to decision p50*\\n12 min  ▼ 3 min",
        "*Time to decision p90*\\n3 h",
        "*Escalations*\\n4 (3 proposals)",
        "*Execution failures*\\n2 of 122",
        "1. tone is off — 5×",
        "❌ approval rate 86.3% (target ≥ 90%)",
        "approved unedited 98% of 140",
    ):
        assert figure in shown, figure
    assert check_message_blocks([b.to_dict() for b in blocks]) == []


def test_agent_and_user_text_is_escaped() -> None:
    shown = text_of(digest_blocks(report(busy())))
    assert "SMTP 451 &lt;!channel&gt; &amp; &lt;@U999&gt; &lt;https://evil.example|click&gt;" in shown
    assert "<!channel>" not in shown
    assert "<@U999>" not in shown
    assert "<https://" not in shown


def test_huge_content_stays_within_slack_limits() -> None:
    long = "x" * 5000
    month = busy().model_copy(
        update={"top_errors": [Ranked(text=long, count=1)] * 3, "top_reasons": [Ranked(text=long, count=1)] * 3}
    )
    r = report(
        month,
        criteria=[Judgement(metric="approval_rate", op=">=", target=0.9, value=0.5, met=False)] * 40,
        suggestions=[Suggestion(kind="unused_rule", text=long)] * 30,
        workflow="w" * 100,
    )
    blocks = [b.to_dict() for b in digest_blocks(r)]
    assert check_message_blocks(blocks) == []
    assert len(blocks) <= 50
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks)
    assert blocks[-1]["elements"][0]["action_id"] == Id.MARK_REVIEWED  # the button survives the trimming


def test_empty_month_says_so_and_still_offers_review() -> None:
    blocks = digest_blocks(report())
    shown = text_of(blocks)
    assert "had no proposals in October 2026" in shown
    assert "check that it still reaches Countersign" in shown
    assert "Decisions by people" not in shown
    assert blocks[-1].to_dict()["type"] == "actions"


def test_review_button_then_reviewed_line() -> None:
    r = report(busy())
    button = digest_blocks(r)[-1].to_dict()["elements"][0]
    assert (button["action_id"], parse_review_value(button["value"])) == (
        Id.MARK_REVIEWED,
        ("2026-10", "support-replies"),
    )
    assert review_value(r) == button["value"]
    done = r.model_copy(update={"reviewed_by": "U0ALICE", "reviewed_at": datetime(2026, 11, 3, 9, 15, tzinfo=UTC)})
    last = digest_blocks(done)[-1].to_dict()
    assert last["type"] == "context"
    assert last["elements"][0]["text"] == "✅ Reviewed by <@U0ALICE> on 2026-11-03 10:15"  # Paris time
    assert Id.MARK_REVIEWED not in text_of(digest_blocks(done))


def test_shadow_workflow_is_marked_and_shows_agreement() -> None:
    month = busy().model_copy(
        update={"shadow_agree": 45, "shadow_edited": 3, "shadow_rejected": 2, "shadow_expired": 1}
    )
    shown = text_of(digest_blocks(report(month, mode="shadow")))
    assert "*SHADOW* (nothing executes)" in shown
    assert (
        "*Shadow agreement* 90%: of 50 decisions, people would have approved 45 unedited, 3 with edits and "
        "rejected 2; 1 expired unreviewed."
    ) in shown
