"""What people type after @Countersign in a thread: approve | reject <reason> | escalate [to @someone]."""

from __future__ import annotations

import re
from dataclasses import dataclass

LEADING_MENTIONS = re.compile(r"^\s*(?:<@[UW][A-Z0-9]+(?:\|[^>]*)?>[\s,:]*)+")
TARGET = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>|<!subteam\^(S[A-Z0-9]+)(?:\|[^>]*)?>")
VERBS = ("approve", "reject", "escalate")


@dataclass(frozen=True)
class Command:
    """A parsed mention: `verb` is one of VERBS or "help"."""

    verb: str
    reason: str = ""
    target: str | None = None


def unescape(text: str) -> str:
    """Slack sends typed &, < and > as entities; store what the person typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def parse(text: str) -> Command:
    """The command in an app_mention's text (the app's own mention first)."""
    rest = LEADING_MENTIONS.sub("", text or "", count=1).strip()
    word, _, tail = rest.partition(" ")
    verb = word.lower().strip(".,:!")
    if verb == "approve":
        return Command("approve")
    if verb == "reject":
        return Command("reject", reason=unescape(tail.strip()))
    if verb == "escalate":
        found = TARGET.search(tail)
        return Command("escalate", target=(found.group(1) or found.group(2)) if found else None)
    return Command("help")


# mrkdwn: "<reason>" would be read as a link and shown as "reason", so the bot's own text is escaped too.
HELP = "In the thread of a proposal, mention me with `approve`, `reject &lt;reason&gt;` or `escalate [to @someone]`."
