"""Pieces of the proposal message; each returns mrkdwn within Slack's limits and says when it had to cut."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.enums import ExecutionStatus, ProposalStatus
from bot.flow.ports import MessageFacts
from bot.policy.display import DisplayField
from bot.slack import mrkdwn as md
from bot.slack.fields import diff_line, display_fields, is_sensitive, lookup, shown
from bot.words import plural

SECTION_MAX = 3000
FIELD_MAX = 2000
SUMMARY_MAX = 2800
VALUE_MAX = 280  # a key field's value in the message; the View full modal shows it whole
MESSAGE_FIELDS = 20  # two section blocks of ten
LONG_SECTIONS = 24  # of a message's 50 blocks; the rest of the card needs at most 16
LINES_MAX = 10  # problems and diff lines shown before "… and N more"
STATUS_WORDS = {
    "approved": "✅ *Approved*",
    "rejected": "❌ *Rejected*",
    "expired": "⌛ *Expired*",
    "cancelled": "🚫 *Cancelled*",
    "auto_approved": "🤖 *Auto-approved*",
    "denied": "⛔ *Denied*",
    "taken": "🙋 *Taken*",
}


@dataclass
class Cuts:
    """Records what was shortened, so the message offers View full."""

    items: list[str] = field(default_factory=list)

    def fit(self, text: str, limit: int, what: str) -> str:
        """Truncate escaped text and remember the cut."""
        if len(text) > limit:
            self.items.append(what)
        return md.truncate(text, limit)


def summary(card: MessageFacts, cuts: Cuts) -> str:
    """The agent's summary, escaped and quoted so its lines cannot pass for the card's own."""
    return cuts.fit(md.quote(md.escape(card.view.summary)), SUMMARY_MAX, "summary")


def is_long(card: MessageFacts, entry: DisplayField) -> bool:
    """Long text gets its own blocks under the short fields: the policy says so, or the text would not fit."""
    if is_sensitive(entry.field, card.sensitive):
        return False
    if entry.long:
        return True
    value = lookup(card.view.payload, entry.field)
    text = isinstance(value, str) and (len(md.escape(value)) > VALUE_MAX or "\n" in value)
    return bool(card.display) and text  # handoffs (no policy fields) keep the grid and View full


def short_entries(card: MessageFacts) -> list[DisplayField]:
    """The displayed fields that sit in the two-column grid."""
    return [d for d in display_fields(card.view.payload, card.display) if not is_long(card, d)]


def long_entries(card: MessageFacts) -> list[DisplayField]:
    """The displayed fields shown as blocks of text."""
    return [d for d in display_fields(card.view.payload, card.display) if is_long(card, d)]


def key_fields(card: MessageFacts, cuts: Cuts) -> list[str]:
    """`*label*\\nvalue` for the short key fields, sensitive ones masked."""
    entries = short_entries(card)
    if len(entries) > MESSAGE_FIELDS or undisplayed(card):
        cuts.items.append("fields")
    out = []
    for entry in entries[:MESSAGE_FIELDS]:
        value = shown(entry.field, lookup(card.view.payload, entry.field), card.sensitive)
        name = md.truncate(md.escape(entry.title or "payload"), 200)
        out.append(f"*{name}*\n{cuts.fit(md.escape(value) or ' ', VALUE_MAX, entry.field)}")
    return out


def long_text(card: MessageFacts, cuts: Cuts) -> list[str]:
    """Section texts for the long fields: each field's label, then its whole text as the agent's quoted words,
    within LONG_SECTIONS sections; what does not fit is recorded so the message offers View full."""
    out: list[str] = []
    for entry in long_entries(card):
        value = shown(entry.field, lookup(card.view.payload, entry.field), card.sensitive)
        pieces = md.quoted_chunks(md.escape(value), SECTION_MAX - 250)
        pieces[0] = f"*{md.truncate(md.escape(entry.title), 200)}*\n{pieces[0]}"
        room = LONG_SECTIONS - len(out)
        if len(pieces) > room:
            cuts.items.append(entry.field)
            pieces = pieces[: max(room, 1)]
            pieces[-1] += f"\n_… continued in *View full* ({plural(len(value), 'character')} in all)._"
        out += pieces
        if len(out) >= LONG_SECTIONS:
            break
    return out


def more_fields(card: MessageFacts) -> int:
    """How many fields are not on the card: past the grid's room, or in the payload but not in `display`."""
    return max(0, len(short_entries(card)) - MESSAGE_FIELDS) + len(undisplayed(card))


def undisplayed(card: MessageFacts) -> list[str]:
    """Top-level payload keys that no displayed field covers (the agent sent more than the policy shows)."""
    payload = card.view.payload
    if not card.display or not isinstance(payload, dict):
        return []
    roots = {d.field.split(".")[0] for d in card.display} | {d.field for d in card.display}
    return [str(k) for k in payload if str(k) not in roots]


def bullet_list(title: str, lines: list[str], cuts: Cuts, what: str) -> str:
    """A titled list of at most LINES_MAX lines, the whole within a section's limit."""
    shown_lines = [md.truncate(line, 280) for line in lines[:LINES_MAX]]
    if len(lines) > LINES_MAX:
        shown_lines.append(f"… and {len(lines) - LINES_MAX} more")
        cuts.items.append(what)
    return md.truncate("\n".join([title, *shown_lines]), SECTION_MAX)


def problems(card: MessageFacts, cuts: Cuts) -> str | None:
    """The payload's problems, or None when there are none."""
    if not card.view.problems:
        return None
    lines = [f"• `{md.escape(p.path or 'payload')}`: {md.escape(p.message)}" for p in card.view.problems]
    head = "⚠️ *Problems with the payload* — fix them with *Edit*; Approve stays hidden until then:"
    return bullet_list(head, lines, cuts, "problems")


def diff(card: MessageFacts, cuts: Cuts) -> str | None:
    """The human edits against the agent's original payload, or None."""
    if not card.view.edited or not card.view.diff:
        return None
    lines = []
    for change in card.view.diff:
        path, before, after = diff_line(change, card.sensitive)
        lines.append(f"• `{md.escape(path)}`: {md.escaped(before, 120)} → {md.escaped(after, 120)}")
    return bullet_list("✏️ *Edited* (changes to the agent's proposal):", lines, cuts, "diff")


def status(card: MessageFacts) -> str:
    """Where the decision stands: waiting (with quorum progress) or who decided, when and why."""
    v = card.view
    if v.status == ProposalStatus.PENDING:
        return _waiting(card)
    words = STATUS_WORDS.get(v.status, md.escape(v.status))
    if v.edited and v.status == ProposalStatus.APPROVED:
        words = "✅ *Approved with edits*"
    deciders = md.actor(v.decided_by)
    if v.status == ProposalStatus.APPROVED and len(v.approvals) > 1:  # a quorum: every approver is named
        deciders = md.join_and([md.actor(a.user) for a in v.approvals])
    by = {"auto_approved": "", "denied": "", "expired": ""}.get(v.status, f" by {deciders}")
    when = f" · {md.date(v.decided_at, card.zone)}" if v.decided_at else ""
    text = f"{words}{by}{when}"
    if card.shadow:
        text = f"*SHADOW* — {text} (recorded to measure agreement; nothing executes)"
    if v.decision_reason:
        text += "\n>" + md.escaped(v.decision_reason, 2000).replace("\n", "\n>")
    return md.truncate(text, SECTION_MAX)


def _waiting(card: MessageFacts) -> str:
    v = card.view
    if card.handoff:
        return "🙋 *Waiting for someone to take it*"
    text = "⏳ *Waiting for approval*"
    if v.required_approvals > 1 or v.approvals:
        text += f" — {len(v.approvals)} of {v.required_approvals} approvals"
    if v.approvals:
        text += " (" + ", ".join(md.mention(a.user) for a in v.approvals) + ")"
    return text


def context_lines(card: MessageFacts) -> list[str]:
    """Why (policy reason), who may decide, when it expires, who asked."""
    v = card.view
    who = [md.mention(i) for i in card.around.deciders.ids]
    lines = [f"*Why:* {md.escaped(v.reason, 1000)}"]
    if v.status == ProposalStatus.PENDING:
        verb = "take it" if card.handoff else "approve"
        lines.append(md.truncate(f"*Who may {verb}:* {md.join_or(who) or 'nobody is configured'}", 2000))
        if v.expires_at:
            lines.append(f"*Expires:* {md.date(v.expires_at, card.zone)}")
    if v.requested_by:
        asker = md.mention(v.requested_by) if md.USER_ID.match(v.requested_by) else md.escaped(v.requested_by, 100)
        lines.append(f"*Requested by:* {asker}")  # a Slack user id reads as the person's name
    return lines


def links(card: MessageFacts) -> str | None:
    """The links the agent gave, each showing its real host."""
    items = [md.link(str(x.get("url", "")), str(x.get("title", "link"))) for x in card.view.links]
    return md.truncate("🔗 " + " · ".join(items), SECTION_MAX) if items else None


def duplicate(card: MessageFacts) -> str | None:
    """A notice when the same workflow, action and payload were proposed recently."""
    if not card.view.duplicate_of:
        return None
    earlier = card.around.duplicate
    url = md.safe_url(earlier.permalink) if earlier and earlier.permalink else None
    where = f"<{url}|this earlier proposal>" if url else f"proposal `{md.escape(card.view.duplicate_of)}`"
    return f"♊ *Possible duplicate* of {where} (same workflow, action and payload in the last 24 h)."


def execution(card: MessageFacts) -> str | None:
    """What happened after approval: queued, running, result or failure."""
    ex, v = card.view.execution, card.view
    if ex.status == ExecutionStatus.NONE or v.status not in {ProposalStatus.APPROVED, ProposalStatus.AUTO_APPROVED}:
        return None
    if ex.status == ExecutionStatus.SKIPPED:
        if card.shadow:
            return "Nothing was executed (shadow mode)."
        return "⚙️ The agent executes this itself; waiting for its report."
    if ex.status in {ExecutionStatus.QUEUED, ExecutionStatus.RUNNING}:
        return f"⚙️ Execution {ex.status}" + (f" (attempt {ex.attempts})" if ex.attempts else "")
    if ex.status == ExecutionStatus.SUCCEEDED:
        result = ex.result.get("summary") if isinstance(ex.result, dict) else ex.result
        return md.truncate(f"✅ *Executed*: {md.escape(result or 'done')}", SECTION_MAX)
    text = (
        f"❌ *Execution failed* after {plural(ex.attempts, 'attempt')}: {md.escaped(ex.error or 'unknown error', 2000)}"
    )
    if not given_up(card):
        text += f"\n{md.mention(card.owner)} (workflow owner): retry it, mark it done by hand, or give up."
    return md.truncate(text, SECTION_MAX)


def given_up(card: MessageFacts) -> bool:
    """True once someone closed the failed execution with Give up (recorded in its result)."""
    result = card.view.execution.result
    return isinstance(result, dict) and bool(result.get("given_up_by"))
