"""Find Slack mention, broadcast and link syntax in outgoing payloads (agent text must never produce it)."""

from __future__ import annotations

import re
from typing import Any

from bot.fakeslack.records import MentionHit

MENTION_RE = re.compile(r"<(?:!|@|#|https?:|mailto:)[^>]*>?", re.IGNORECASE)


def find_mentions(surface: str, channel: str | None, ts: str | None, payload: Any, ptr: str = "") -> list[MentionHit]:
    """Hits in every `text` string of a payload (top-level text, block texts, view texts), with json-pointers."""
    if isinstance(payload, str):
        found = MENTION_RE.findall(payload)
        return [MentionHit(surface, channel, ts, ptr or "/", payload, found)] if found else []
    hits: list[MentionHit] = []
    items = payload.items() if isinstance(payload, dict) else enumerate(payload) if isinstance(payload, list) else []
    for key, value in items:
        # only "text" strings are rendered; ids, values and urls elsewhere are not shown as mrkdwn
        if key == "text" or isinstance(value, (dict, list)):
            hits.extend(find_mentions(surface, channel, ts, value, f"{ptr}/{key}"))
    return hits
