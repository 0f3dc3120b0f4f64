"""The sandbox workspace: people, user groups and channels named after the ids the policies use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.policy import PolicySet
from bot.policy.approval import ApprovalPolicy

BOT_USER = "UBOT"
# The example policies' ids get real-looking people; ids of other policies get a name derived from the id.
KNOWN_PEOPLE = {
    "U012OWNER": ("olivia", "Olivia Park", "Head of operations, owns the example workflows"),
    "U0FINANCE1": ("fatima", "Fatima Diaz", "Finance"),
    "U0FINANCE2": ("frank", "Frank Moreau", "Finance"),
    "U0LEO": ("leo", "Leo Martin", "Support lead"),
    "U0SALESOPS1": ("sofia", "Sofia Rossi", "Sales operations"),
    "U0SALESOPS2": ("sam", "Sam Lee", "Sales operations"),
    "U0RILEY": ("riley", "Riley Chen", "Support agent: the demo agent works for Riley"),
}
KNOWN_GROUPS = {
    "S0FINANCE": ("finance", "Finance team", ["U0FINANCE1", "U0FINANCE2", "U012OWNER"]),
    "S0SUPPORTLEADS": ("support-leads", "Support leads", ["U0LEO", "U012OWNER"]),
    "S0REVOPS": ("revops", "Revenue operations", ["U0SALESOPS1", "U0SALESOPS2", "U012OWNER"]),
}
KNOWN_CHANNELS = {
    "C0FINANCE": ("finance", "Refund approvals (refunds.yaml)"),
    "C0SUPPORT": ("support", "Customer emails and the replies the support agent drafts (support-replies.yaml)"),
    "C0SALESOPS": ("sales-ops", "CRM updates, in shadow mode (crm-updates.yaml)"),
    "C0REVIEW": ("review", "Monthly digests and anything that could not be posted elsewhere"),
}
# Everyone in the examples, in the order the page lists them (approvers first, the requester last).
ALWAYS = ["U012OWNER", "U0FINANCE1", "U0FINANCE2", "U0LEO", "U0SALESOPS1", "U0SALESOPS2", "U0RILEY"]


@dataclass
class Seed:
    """What FakeSlack is created with, plus channel topics for the page."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    usergroups: dict[str, dict[str, Any]] = field(default_factory=dict)
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)
    topics: dict[str, str] = field(default_factory=dict)

    def person_ids(self) -> list[str]:
        """Humans of the workspace, in display order."""
        return list(self.users)


def seed_workspace(policies: PolicySet) -> Seed:
    """Every user, group and channel the policies name (bot a member of each channel), plus the examples' cast."""
    seed = Seed()
    users = list(ALWAYS)
    groups: dict[str, list[str]] = {}
    channels: dict[str, str] = {}  # channel id -> the workflow that first names it
    for wf in policies.workflows.values():
        users.append(wf.owner)
        channels.setdefault(wf.review_channel, wf.name)
        approvals = [a.approval for a in wf.actions.values()] + ([wf.handoff] if wf.handoff else [])
        for ap in approvals:
            channels.setdefault(ap.channel, wf.name)
            users += ap.users
            for gid in ap.usergroups:
                groups.setdefault(gid, []).extend(ap.users)
            _escalations(ap, users, groups)
    for uid in dict.fromkeys(users):
        seed.users[uid] = _person(uid)
    for gid, listed in groups.items():
        handle, name, members = KNOWN_GROUPS.get(gid, (gid[2:].lower() or gid.lower(), "", []))
        members = list(dict.fromkeys(members + listed)) or [next(iter(seed.users))]
        for uid in members:
            seed.users.setdefault(uid, _person(uid))
        seed.usergroups[gid] = {"handle": handle, "name": name or handle, "users": members}
    for cid, workflow in sorted(channels.items(), key=lambda kv: _channel_rank(kv[0], policies)):
        name, topic = KNOWN_CHANNELS.get(cid, (cid[2:].lower() or cid.lower(), f"Proposals of {workflow}"))
        seed.channels[cid] = {"name": name, "members": [BOT_USER, *seed.users]}
        seed.topics[cid] = topic
    return seed


def _channel_rank(cid: str, policies: PolicySet) -> tuple[int, int, str]:
    """The examples' channels in a fixed order, then other approval channels, review channels last."""
    known = list(KNOWN_CHANNELS)
    review = any(wf.review_channel == cid for wf in policies.workflows.values())
    return (known.index(cid) if cid in known else len(known), int(review), cid)


def _escalations(ap: ApprovalPolicy, users: list[str], groups: dict[str, list[str]]) -> None:
    for step in ap.escalate:
        if step.mention.startswith("S"):
            groups.setdefault(step.mention, [])
        else:
            users.append(step.mention)


def _person(uid: str) -> dict[str, Any]:
    handle, real_name, title = KNOWN_PEOPLE.get(uid, (uid.lower(), _name_from_id(uid), ""))
    return {"name": handle, "real_name": real_name, "display_name": real_name.split()[0], "title": title, "tz": "UTC"}


def _name_from_id(uid: str) -> str:
    """U0ALICE -> Alice; ids without letters stay as they are."""
    letters = uid[1:].lstrip("0123456789")
    return letters.capitalize() if letters else uid
