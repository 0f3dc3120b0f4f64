"""Thread replies, one renderer per Note kind the flow queues (pure: Note -> text and blocks)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock

from bot.flow.ports import Note
from bot.slack import mrkdwn as md
from bot.slack.fields import diff_line
from bot.words import plural

NOTE_MAX = 3000
Renderer = Callable[[dict[str, Any], list[str]], str]


def _edited(d: dict[str, Any], sensitive: list[str]) -> str:
    lines = [f"✏️ {md.actor(d.get('user'))} edited the payload:"]
    changes = list(d.get("diff") or [])
    for change in changes[:10]:
        path, before, after = diff_line(change, sensitive)
        lines.append(f"• `{md.escaped(path, 200)}`: {md.escaped(before, 200)} → {md.escaped(after, 200)}")
    if len(changes) > 10:
        lines.append(f"… and {plural(len(changes) - 10, 'more change')}")
    if d.get("required"):
        lines.append(f"It now needs {plural(int(d['required']), 'approval')} of this version.")
    return "\n".join(lines)


def _executed(d: dict[str, Any], _: list[str]) -> str:
    return f"✅ Executed: {md.escaped(d.get('summary') or 'done', 2000)} (attempt {int(d.get('attempts') or 1)})"


def _execution_failed(d: dict[str, Any], _: list[str]) -> str:
    owner = md.mention(str(d.get("owner") or ""))
    attempts = plural(int(d.get("attempts") or 0), "attempt")
    return (
        f"❌ Execution failed after {attempts}: {md.escaped(d.get('error'), 2000)}\n"
        f"{owner}, please choose on the message: *Retry*, *Mark done by hand* or *Give up*."
    )


def _reminder(d: dict[str, Any], _: list[str]) -> str:
    waiting = md.join_or([md.mention(str(i)) for i in d.get("waiting") or []]) or "the approvers"
    return f"⏰ Reminder {int(d.get('n') or 1)} of {int(d.get('cap') or 1)}: still waiting for {waiting}."


def _escalated(d: dict[str, Any], _: list[str]) -> str:
    by = d.get("by")
    how = "after no decision in time" if by == "countersign" else f"by {md.actor(by)}"
    return f"📣 Escalated {how}: {md.mention(str(d.get('mention') or ''))}, please take a look."


def _expired(d: dict[str, Any], _: list[str]) -> str:
    return f"⌛ Expired: {md.escaped(d.get('reason') or 'no decision in time', 2000)}. The agent has been told."


def _reported(d: dict[str, Any], _: list[str]) -> str:
    if d.get("ok"):
        return "✅ The agent reports the action is done."
    return f"❌ The agent reports the action failed: {md.escaped(d.get('error') or 'no details', 2000)}"


RENDERERS: dict[str, Renderer] = {
    "edited": _edited,
    "executed": _executed,
    "execution_failed": _execution_failed,
    "reminder": _reminder,
    "escalated": _escalated,
    "expired": _expired,
    "reported": _reported,
}


def note_message(note: Note, sensitive: list[str]) -> tuple[str, list[Block]]:
    """A thread reply for a Note; unknown kinds are shown as escaped data rather than dropped."""
    render = RENDERERS.get(note.kind)
    if render is None:
        text = f"ℹ️ {md.escape(note.kind)}: {md.escape(json.dumps(note.data, default=str, ensure_ascii=False))}"
    else:
        text = render(note.data, sensitive)
    text = md.truncate(text, NOTE_MAX)
    return text, [SectionBlock(text=MarkdownTextObject(text=text))]
