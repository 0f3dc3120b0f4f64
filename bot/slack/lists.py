""" "Waiting for you": the /approvals reply and the App Home tab (pure builders)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block, ContextBlock, DividerBlock, HeaderBlock, MarkdownTextObject, SectionBlock
from slack_sdk.models.views import View

from bot.enums import ProposalKind
from bot.flow.public import ProposalPublic
from bot.slack import mrkdwn as md
from bot.words import plural

MESSAGE_ITEMS = 20  # one section each, well inside a message's 50 blocks
HOME_ITEMS = 45  # two blocks each, inside the Home tab's 100
NOTHING = "Nothing is waiting for you. 🎉"


def item(view: ProposalPublic, zone: ZoneInfo) -> str:
    """One line: a permalink to the message, the escaped summary, progress and expiry."""
    what = md.escape(view.workflow if view.kind == ProposalKind.HANDOFF else f"{view.workflow} / {view.action}")
    url = md.safe_url(view.slack.permalink) if view.slack.permalink else None
    title = f"<{url}|{what}>" if url else f"{what} (not posted yet)"
    facts = (
        [f"{len(view.approvals)} of {view.required_approvals} approvals"]
        if view.kind != ProposalKind.HANDOFF
        else ["handoff"]
    )
    if view.expires_at:
        facts.append(f"expires {md.date(view.expires_at, zone)}")
    return f"*{title}* — {md.escaped(view.summary, 200)}\n_{' · '.join(facts)}_"


def approvals_reply(views: list[ProposalPublic], zone: ZoneInfo) -> tuple[str, list[Block]]:
    """The ephemeral answer to /approvals."""
    if not views:
        return NOTHING, [SectionBlock(text=MarkdownTextObject(text=NOTHING))]
    head = f"{plural(len(views), 'proposal')} waiting for you"
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=f"*{head}:*"))]
    blocks += [SectionBlock(text=MarkdownTextObject(text=item(v, zone))) for v in views[:MESSAGE_ITEMS]]
    if len(views) > MESSAGE_ITEMS:
        blocks.append(_more(len(views) - MESSAGE_ITEMS))
    return head, blocks


def home_view(views: list[ProposalPublic], zone: ZoneInfo) -> View:
    """The App Home tab: the same list."""
    blocks: list[Block] = [HeaderBlock(text="Waiting for you")]
    if not views:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=NOTHING)))
    for v in views[:HOME_ITEMS]:
        blocks += [SectionBlock(text=MarkdownTextObject(text=item(v, zone))), DividerBlock()]
    if len(views) > HOME_ITEMS:
        blocks.append(_more(len(views) - HOME_ITEMS))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text="Type `/approvals` anywhere to see this list.")]))
    return View(type="home", blocks=blocks)


def _more(n: int) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=f"… and {n} more, oldest first.")])
