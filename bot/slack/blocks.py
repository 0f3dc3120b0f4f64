"""The proposal message as Block Kit (slack_sdk.models): pure functions from a MessageFacts to (text, blocks)."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.enums import ExecutionStatus, ProposalStatus
from bot.flow.ports import MessageFacts
from bot.slack import message_parts as parts
from bot.slack import mrkdwn as md
from bot.slack.ids import Id, button_value
from bot.words import plural

HEADER_MAX = 150
TEXT_MAX = 3000  # the notification / fallback text


def proposal_message(card: MessageFacts) -> tuple[str, list[Block]]:
    """The message for a proposal in any state; `text` is the notification fallback."""
    cuts = parts.Cuts()
    blocks: list[Block] = [HeaderBlock(text=md.truncate(header(card), HEADER_MAX))]
    if card.shadow:
        blocks.append(_context("*SHADOW MODE* — buttons record what you would decide; nothing is executed."))
    if card.note:
        blocks.append(_context(card.note))
    blocks.append(_section(parts.summary(card, cuts)))
    blocks += _field_sections(card, cuts)
    blocks += [_section(text) for text in parts.long_text(card, cuts)]
    for piece in (parts.problems(card, cuts), parts.diff(card, cuts)):
        if piece:
            blocks.append(_section(piece))
    blocks.append(_section(parts.status(card)))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=line) for line in parts.context_lines(card)]))
    for piece in (parts.links(card), parts.duplicate(card), parts.execution(card)):
        if piece:
            blocks.append(_section(piece))
    buttons = decision_buttons(card) + execution_buttons(card)
    if cuts.items:
        buttons.append(_button("View full", Id.VIEW_FULL, card))
    if buttons:
        blocks.append(ActionsBlock(block_id=Id.ACTIONS_BLOCK, elements=buttons))
    return fallback_text(card), blocks


def header(card: MessageFacts) -> str:
    """e.g. "Approval needed · payouts / send" (workflow and action names are policy slugs, not agent text)."""
    v = card.view
    state = "Handoff" if card.handoff else "Approval needed"
    if v.status != ProposalStatus.PENDING:
        state = {"auto_approved": "Auto-approved", "taken": "Taken"}.get(v.status, v.status.capitalize())
    what = v.workflow if card.handoff else f"{v.workflow} / {v.action}"
    return f"{'SHADOW · ' if card.shadow else ''}{state} · {what}"


def fallback_text(card: MessageFacts) -> str:
    """Notification text: header plus the start of the escaped summary."""
    summary = " ".join(card.view.summary.split())  # one line: the agent's line breaks cannot start a new "line"
    return md.truncate(f"{header(card)}: {md.escape(summary)}", 300)


def decision_buttons(card: MessageFacts) -> list[ButtonElement]:
    """Approve (hidden while the payload has problems) / Edit / Reject / Escalate, or Take it for handoffs."""
    if card.view.status != ProposalStatus.PENDING:
        return []
    if card.handoff:
        return [_button("Take it", Id.TAKE, card, style="primary"), _button("Escalate", Id.ESCALATE, card)]
    shadow = card.shadow
    buttons = (
        []
        if card.view.problems
        else [_button("Would approve" if shadow else "Approve", Id.APPROVE, card, style="primary")]
    )
    buttons += [
        _button("Edit", Id.EDIT, card),
        _button("Would reject" if shadow else "Reject", Id.REJECT, card, style="danger"),
        _button("Escalate", Id.ESCALATE, card),
    ]
    return buttons


def execution_buttons(card: MessageFacts) -> list[ButtonElement]:
    """Retry / Mark done by hand / Give up after a final execution failure."""
    if card.view.execution.status != ExecutionStatus.FAILED or parts.given_up(card):
        return []
    give_up = ConfirmObject(
        title="Give up?",
        text="The action stays not done, and the message says who gave up.",
        confirm="Give up",
        deny="Keep it",
    )
    return [
        _button("Retry", Id.RETRY, card, style="primary"),
        _button("Mark done by hand", Id.MARK_DONE, card),
        _button("Give up", Id.GIVE_UP, card, style="danger", confirm=give_up),
    ]


def _field_sections(card: MessageFacts, cuts: parts.Cuts) -> list[Block]:
    items = parts.key_fields(card, cuts)
    out: list[Block] = [
        SectionBlock(fields=[MarkdownTextObject(text=f) for f in items[i : i + 10]]) for i in range(0, len(items), 10)
    ]
    more = parts.more_fields(card)
    if more:
        out.append(_context(f"… and {plural(more, 'more field')}: use *View full*."))
    return out


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=md.truncate(text, parts.SECTION_MAX)))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=md.truncate(text, parts.SECTION_MAX))])


def _button(
    label: str, action: Id, card: MessageFacts, *, style: str | None = None, confirm: ConfirmObject | None = None
) -> ButtonElement:
    return ButtonElement(
        text=label, action_id=action, value=button_value(card.view.id, card.view.version), style=style, confirm=confirm
    )


def blocks_json(blocks: list[Block]) -> list[dict]:
    """Blocks as the JSON the Web API takes (slack_sdk validates each limit here)."""
    return [b.to_dict() for b in blocks]
