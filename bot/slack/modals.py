"""Modals: Edit (generated from the action's JSON Schema), Reject (reason required), View full (whole payload)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.flow.ports import MessageFacts
from bot.slack import mrkdwn as md
from bot.slack.fields import display_fields, lookup, masked, shown
from bot.slack.ids import Id
from bot.slack.schema_form import form_fields, input_block

MODAL_BLOCKS = 100
VIEW_BUDGET = 200_000  # bytes of blocks; Slack refuses views over 250 kB, the rest is headroom
CHUNK = 2900
FIELDS_MAX = 20  # fields shown one by one in View full


@dataclass(frozen=True)
class Origin:
    """What a modal remembers in private_metadata: the proposal, the version seen, the message clicked."""

    proposal_id: str
    version: int | None
    channel: str | None = None
    ts: str | None = None

    def dump(self) -> str:
        """Compact JSON (well under the 3000-character limit)."""
        return json.dumps({"p": self.proposal_id, "v": self.version, "c": self.channel, "t": self.ts})

    @classmethod
    def load(cls, raw: str | None) -> Origin:
        """Read private_metadata back."""
        data = json.loads(raw or "{}")
        return cls(str(data.get("p") or ""), data.get("v"), data.get("c"), data.get("t"))


def edit_modal(card: MessageFacts, schema: dict[str, Any], origin: Origin) -> View:
    """One input per payload field, pre-filled; a sensitive value is shown as set, never sent to Slack."""
    what = f"{md.escape(card.view.workflow)} / {md.escape(card.view.action)}"
    intro = (
        f"Editing *{what}* (version {card.view.version}). The edit is checked against the schema and the "
        "policy again; approvals start over for the new version."
    )
    blocks: list[Block | dict[str, Any]] = [_context(intro)]
    kept, size = [], 0
    for field in form_fields(schema):
        block = input_block(field, card.view.payload, card.sensitive)
        cost = wire_size(block) if block else 0
        if block is None or len(blocks) >= MODAL_BLOCKS - 1 or size + cost > VIEW_BUDGET:
            kept.append(field.label)
            continue
        blocks.append(block)
        size += cost
    if kept:
        names = md.truncate(", ".join(f"`{md.escape(k)}`" for k in kept), 2500)
        blocks.append(_context(f"Not editable here (too long or too many fields), kept as they are: {names}"))
    return View(
        type="modal",
        callback_id=Id.EDIT_MODAL,
        title="Edit proposal",
        submit="Save",
        close="Cancel",
        private_metadata=origin.dump(),
        blocks=blocks,
    )


def reject_modal(card: MessageFacts, origin: Origin) -> View:
    """A required reason, which is stored and returned to the agent."""
    reason = InputBlock(
        block_id=Id.REASON_BLOCK,
        label="Why are you rejecting it?",
        hint="The agent receives this reason.",
        element=PlainTextInputElement(action_id=Id.REASON_INPUT, multiline=True, max_length=3000),
    )
    summary = md.escaped(card.view.summary, 500)
    return View(
        type="modal",
        callback_id=Id.REJECT_MODAL,
        title="Reject proposal",
        submit="Reject",
        close="Cancel",
        private_metadata=origin.dump(),
        blocks=[_context(summary), reason],
    )


def full_modal(card: MessageFacts) -> View:
    """The whole summary, every displayed field in full, the problems and the whole payload as JSON (sensitive
    values masked throughout), split into blocks within Slack's limits."""
    payload = json.dumps(masked(card.view.payload, card.sensitive), indent=2, ensure_ascii=False)
    blocks: list[Any] = [SectionBlock(text=MarkdownTextObject(text="*Summary*"))]
    blocks += _texts(md.quoted_chunks(md.escape(card.view.summary), CHUNK))
    entries = display_fields(card.view.payload, card.display)
    for entry in entries if len(entries) <= FIELDS_MAX else []:  # many fields: the JSON below shows them
        value = shown(entry.field, lookup(card.view.payload, entry.field), card.sensitive)
        pieces = md.quoted_chunks(md.escape(value), CHUNK)
        pieces[0] = f"*{md.truncate(md.escape(entry.title), 200)}*\n{pieces[0]}"
        blocks += _texts(pieces)
    if card.view.problems:
        lines = "\n".join(f"• `{md.escape(p.path or 'payload')}`: {md.escape(p.message)}" for p in card.view.problems)
        blocks.append(SectionBlock(text=MarkdownTextObject(text="*Problems*")))
        blocks += _texts(md.chunks(lines, CHUNK))
    blocks.append(SectionBlock(text=MarkdownTextObject(text="*Payload* (as the agent sent it)")))
    blocks += _texts([f"```{c}```" for c in md.chunks(md.escape(payload), CHUNK - 6)])
    return View(
        type="modal", callback_id=Id.FULL_MODAL, title="Full proposal", close="Close", blocks=_within_budget(blocks)
    )


def _texts(texts: list[str]) -> list[SectionBlock]:
    return [SectionBlock(text=MarkdownTextObject(text=t)) for t in texts]


def wire_size(block: Any) -> int:
    """Bytes of a block as slack_sdk sends it: JSON with non-ASCII as \\u escapes (CJK and emoji cost 2-3x)."""
    return len(json.dumps(block.to_dict() if hasattr(block, "to_dict") else block))


def _within_budget(blocks: list[Any]) -> list[Any]:
    out: list[Any] = []
    size = 0
    for block in blocks:
        cost = wire_size(block)
        if len(out) >= MODAL_BLOCKS - 1 or size + cost > VIEW_BUDGET:
            out.append(_context("… the rest is too long to show in Slack."))
            break
        out.append(block)
        size += cost
    return out


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=md.truncate(text, 3000))])
