"""The fake workspace: users, channels, messages, views, triggers; every Slack rule on stored data."""

from __future__ import annotations

import itertools
import re
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bot.fakeslack.mentions import find_mentions
from bot.fakeslack.records import Channel, Ephemeral, FileRecord, MentionHit, Message, View
from bot.fakeslack.wire import SlackError

TRIGGER_RE = re.compile(r"^\d+\.\d+\.[0-9a-f]+$")
TRIGGER_TTL = 3.0  # seconds a trigger_id stays usable
RESPONSE_URL_TTL = 30 * 60.0
RESPONSE_URL_USES = 5


@dataclass
class Trigger:
    """A trigger_id handed to the app in an interaction."""

    id: str
    user: str
    created: float
    used: bool = False


@dataclass
class ResponseUrl:
    """A response_url handed to the app; tied to the interaction's user, channel and message."""

    id: str
    user: str
    channel: str | None
    created: float
    message_ts: str | None = None
    is_ephemeral: bool = False
    uses: int = 0


class Workspace:
    """All state of one fake Slack workspace; callers hold `lock` while mutating."""

    def __init__(
        self,
        *,
        team_id: str,
        team_domain: str,
        app_id: str,
        bot_user_id: str,
        bot_id: str,
        bot_name: str,
        users: dict[str, dict[str, Any]],
        usergroups: dict[str, Any],
        channels: dict[str, dict[str, Any]],
        clock: Callable[[], float],
    ) -> None:
        self.lock = threading.RLock()
        self.team_id, self.team_domain, self.app_id = team_id, team_domain, app_id
        self.bot_user_id, self.bot_id, self.bot_name = bot_user_id, bot_id, bot_name
        self.clock = clock
        self.users: dict[str, dict[str, Any]] = {bot_user_id: {"name": bot_name, "real_name": bot_name, "is_bot": True}}
        self.users.update({uid: dict(u) for uid, u in users.items()})
        self.usergroups = {gid: _usergroup(gid, g) for gid, g in usergroups.items()}
        self.channels: dict[str, Channel] = {}
        for cid, spec in channels.items():
            self.add_channel(cid, **spec)
        self.views: dict[str, View] = {}
        self.stacks: dict[str, list[str]] = {}  # user -> open modal view ids, root first
        self.homes: dict[str, str] = {}  # user -> home view id
        self.ephemerals: list[Ephemeral] = []
        self.files: dict[str, FileRecord] = {}
        self.triggers: dict[str, Trigger] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.mentions: list[MentionHit] = []
        self.problems: list[str] = []  # things real Slack would have refused or shown as an error
        self._last_us = 0
        self._ids = itertools.count(1)

    # ---- ids and time
    def now(self) -> float:
        """Current time from the injected clock."""
        return float(self.clock())

    def new_ts(self) -> str:
        """A message ts '<epoch>.<6 digits>', strictly increasing even under a frozen clock."""
        us = max(int(self.now() * 1_000_000), self._last_us + 1)
        self._last_us = us
        return f"{us // 1_000_000}.{us % 1_000_000:06d}"

    def new_id(self, prefix: str) -> str:
        """A Slack-looking id such as V0000000A."""
        return f"{prefix}{next(self._ids):08X}"

    def with_block_ids(self, blocks: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
        """Copies of blocks with a block_id on each: Slack generates one when the app gives none."""
        return [b if b.get("block_id") else {**b, "block_id": secrets.token_urlsafe(3)} for b in blocks or []]

    def new_hash(self) -> str:
        """A view hash for optimistic locking."""
        return f"{int(self.now())}.{secrets.token_hex(4)}"

    # ---- directory
    def add_channel(
        self,
        cid: str,
        *,
        name: str = "",
        is_private: bool = False,
        members: Iterable[str] = (),
        is_archived: bool = False,
        is_im: bool = False,
    ) -> Channel:
        """Create a channel (seed data or tests)."""
        ch = Channel(
            id=cid,
            name=name or cid.lower(),
            is_private=is_private,
            is_im=is_im,
            is_archived=is_archived,
            members=set(members),
            created=int(self.now()),
        )
        self.channels[cid] = ch
        return ch

    def user(self, uid: str) -> dict[str, Any]:
        """A seeded user; user_not_found otherwise."""
        if uid not in self.users:
            raise SlackError("user_not_found")
        return self.users[uid]

    def channel(self, cid: Any) -> Channel:
        """An existing conversation; channel_not_found otherwise (user ids resolve to the app's DM)."""
        cid = str(cid or "")
        if cid[:1] in ("U", "W") and cid in self.users:
            return self.dm(cid)
        ch = self.channels.get(cid)
        if ch is None or ch.deleted:
            raise SlackError("channel_not_found")
        return ch

    def dm(self, uid: str) -> Channel:
        """The app's DM with a user, created on first use."""
        cid = "D" + uid[1:]
        if cid not in self.channels:
            self.add_channel(cid, name=cid, is_im=True, members=(uid, self.bot_user_id))
        return self.channels[cid]

    def visible_channel(self, cid: Any) -> Channel:
        """A conversation the bot can see: private ones only when it is a member."""
        ch = self.channel(cid)
        if ch.is_private and self.bot_user_id not in ch.members:
            raise SlackError("channel_not_found")
        return ch

    def postable(self, cid: Any, scopes: frozenset[str]) -> Channel:
        """A conversation the bot may post into (membership, chat:write.public, archive rules)."""
        ch = self.visible_channel(cid)
        if ch.is_archived:
            raise SlackError("is_archived")
        joined = self.bot_user_id in ch.members or ch.is_im
        if not joined and (ch.is_private or "chat:write.public" not in scopes):
            raise SlackError("not_in_channel")
        return ch

    # ---- messages
    def message(self, ch: Channel, ts: Any) -> Message:
        """A stored, non-deleted message; message_not_found otherwise."""
        msg = ch.messages.get(str(ts or ""))
        if msg is None or msg.deleted:
            raise SlackError("message_not_found")
        return msg

    def thread_parent(self, ch: Channel, thread_ts: Any) -> str | None:
        """The parent ts to thread under: a reply's ts threads under its parent."""
        if thread_ts in (None, ""):
            return None
        msg = ch.messages.get(str(thread_ts))
        if msg is None or msg.deleted:
            raise SlackError("thread_not_found")
        return msg.thread_ts or msg.ts

    def add_message(
        self,
        ch: Channel,
        *,
        text: str,
        user: str,
        bot_id: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        **extra: Any,
    ) -> Message:
        """Store a message (thread_ts already resolved to a parent)."""
        msg = Message(
            channel=ch.id,
            ts=self.new_ts(),
            text=text,
            user=user,
            bot_id=bot_id,
            blocks=self.with_block_ids(blocks),
            thread_ts=thread_ts,
            **extra,
        )
        ch.messages[msg.ts] = msg
        if thread_ts:
            ch.messages[thread_ts].reply_count += 1
        return msg

    def edit(self, target: Message | Ephemeral, *, text: str | None, blocks: list[dict[str, Any]] | None) -> None:
        """Replace text/blocks, keeping the previous version in `edits`."""
        stamp = {"user": self.bot_user_id, "ts": self.new_ts()}
        target.edits.append({"text": target.text, "blocks": target.blocks, "edited": stamp})
        if text is not None:
            target.text = text
        if blocks is not None:
            target.blocks = self.with_block_ids(blocks)

    def record_mentions(self, surface: str, channel: str | None, ts: str | None, payload: Any) -> None:
        """Remember every text the app sent that carries <!…>, <@…>, <#…>, <http…> or <mailto…> syntax."""
        self.mentions.extend(find_mentions(surface, channel, ts, payload))

    # ---- triggers and response_urls
    def issue_trigger(self, user: str) -> str:
        """A fresh trigger_id for an interaction by `user`."""
        tid = f"{int(self.now())}.{next(self._ids)}.{secrets.token_hex(8)}"
        self.triggers[tid] = Trigger(tid, user, self.now())
        return tid

    def take_trigger(self, trigger_id: Any) -> Trigger:
        """Consume a trigger_id: format, existence, single use and the 3-second window."""
        tid = str(trigger_id or "")
        if not TRIGGER_RE.match(tid) or tid not in self.triggers:
            raise SlackError("invalid_trigger_id")
        trig = self.triggers[tid]
        if trig.used:
            raise SlackError("exchanged_trigger_id")
        if self.now() - trig.created > TRIGGER_TTL:
            raise SlackError("expired_trigger_id")
        trig.used = True
        return trig

    def issue_response_url(
        self, user: str, channel: str | None, message_ts: str | None = None, is_ephemeral: bool = False
    ) -> str:
        """Register a response_url id (the server turns it into a URL)."""
        rid = secrets.token_urlsafe(12)
        self.response_urls[rid] = ResponseUrl(rid, user, channel, self.now(), message_ts, is_ephemeral)
        return rid

    # ---- views
    def stack(self, user: str) -> list[View]:
        """The user's open modals, root first."""
        return [self.views[v] for v in self.stacks.get(user, [])]

    def find_view(self, view_id: Any = None, external_id: Any = None) -> View:
        """A live view by id or external_id; not_found otherwise."""
        for view in self.views.values():
            if (view_id and view.id == view_id) or (external_id and view.external_id == external_id):
                return view
        raise SlackError("not_found")

    def close_views(self, user: str, *, all_views: bool = False) -> list[View]:
        """Pop the top modal (or the whole stack); returns the closed views."""
        stack = self.stacks.get(user, [])
        closed_ids = stack[:] if all_views else stack[-1:]
        del stack[len(stack) - len(closed_ids) :]
        return [self.views.pop(v) for v in closed_ids]


def _usergroup(gid: str, spec: Any) -> dict[str, Any]:
    """Normalise a seed usergroup: a list of user ids or a dict with handle/name/users."""
    spec = {"users": list(spec)} if isinstance(spec, (list, tuple, set)) else dict(spec)
    handle = spec.get("handle") or gid.lower()
    return {"id": gid, "handle": handle, "name": spec.get("name") or handle, "users": list(spec.get("users", []))}
