"""mrkdwn helpers: escape untrusted text, format mentions, dates and links, truncate within limits."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

ELLIPSIS = "…"
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")
GROUP_ID = re.compile(r"^S[A-Z0-9]{2,30}$")
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,30}$")
MENTION_TOKENS = re.compile(r"<(?:!|@|#)[^>]*>")  # what Slack would turn into a mention or broadcast


BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")  # embeddings, overrides and isolates


def escape(text: object) -> str:
    """Neutralize &, < and > (& first) so text can never become a mention, broadcast or link; bidirectional
    controls, which can make text read in another order than it is, are shown as visible escapes (`<U+202E>`)."""
    escaped = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return BIDI_CONTROLS.sub(lambda m: f"&lt;U+{ord(m.group()):04X}&gt;", escaped)


def quote(text: str) -> str:
    """Escaped text as a block quote, every line of it: the agent's words, never the card's own lines."""
    return "\n".join(">" + line for line in text.split("\n"))


def quoted_chunks(text: str, size: int) -> list[str]:
    """Escaped text as block-quoted pieces of at most `size` characters each, every line quoted."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        for part in chunks(line, size - 1) or [""]:
            addition = (current + "\n" if current else "") + ">" + part
            if current and len(addition) > size:
                pieces.append(current)
                addition = ">" + part
            current = addition
    return [*pieces, current]


def mention(slack_id: str) -> str:
    """`<@U…>` for a user, `<!subteam^S…>` for a user group; anything else is shown as escaped text."""
    if USER_ID.match(slack_id):
        return f"<@{slack_id}>"
    if GROUP_ID.match(slack_id):
        return f"<!subteam^{slack_id}>"
    return escape(slack_id)


def channel_link(channel: str) -> str:
    """`<#C…>` for a channel id; anything else as escaped text."""
    return f"<#{channel}>" if CHANNEL_ID.match(channel) else escape(channel)


def actor(who: str | None) -> str:
    """A decider as shown in messages: a mention for Slack ids, plain words for policy/agents."""
    if not who:
        return "someone"
    if USER_ID.match(who):
        return mention(who)
    return {"policy": "the policy", "countersign": "Countersign"}.get(who, escape(who))


def join_or(items: list[str]) -> str:
    """ "a", "a or b", "a, b or c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1] if items else ""


def join_and(items: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def date(when: datetime, zone: ZoneInfo) -> str:
    """Slack date syntax, rendered in each reader's time zone; the fallback uses COUNTERSIGN_TIMEZONE."""
    fallback = when.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def safe_url(url: str) -> str | None:
    """The URL with mrkdwn control characters escaped, or None unless it is http(s) with a host."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname or any(c.isspace() for c in url):
        return None
    return escape(url).replace("|", "%7C")


def link(url: str, title: str, *, limit: int = 400) -> str:
    """`<url|title> (host)`: the host is shown so a label cannot hide where the link goes."""
    target = safe_url(url)
    label = truncate(escape(BIDI_CONTROLS.sub("", title)), 150)  # a title must not disguise the host
    if target is None or len(target) > limit:
        return f"{label} (link not shown: {truncate(escape(url), 100)})"
    host = escape(urlsplit(url).hostname or "")
    return f"<{target}|{label}> ({host})"


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters, marked with … when cut; never splits an &entity; or a <…> token."""
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - 1)]
    amp, semi = cut.rfind("&"), cut.rfind(";")
    if amp > semi:  # do not leave half of "&amp;" behind
        cut = cut[:amp]
    lt, gt = cut.rfind("<"), cut.rfind(">")
    if lt > gt:  # nor half of one of our own <…> tokens
        cut = cut[:lt]
    return cut + ELLIPSIS


def escaped(text: object, limit: int) -> str:
    """Untrusted text escaped, then truncated to `limit`."""
    return truncate(escape(text), limit)


def chunks(text: str, size: int) -> list[str]:
    """Split escaped text into pieces of at most `size` characters, never inside an &entity;."""
    out: list[str] = []
    while len(text) > size:
        cut = text[:size]
        amp, semi = cut.rfind("&"), cut.rfind(";")
        end = amp if amp > semi and amp > 0 else size
        out.append(text[:end])
        text = text[end:]
    return [*out, text] if text or not out else out
