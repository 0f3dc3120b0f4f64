"""Read and arrange the fake workspace from tests and the sandbox page (FakeSlack mixes this in)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from bot.fakeslack.records import Channel, Ephemeral, FileRecord, MentionHit, Message, View, as_dict
from bot.fakeslack.state import Workspace


class Queries:
    """Inspection helpers and workspace changes that happen "in Slack", outside the app."""

    ws: Workspace

    # ---- inspection
    def channel(self, channel: str) -> Channel:
        """A channel by id (KeyError if unknown)."""
        with self.ws.lock:
            return self.ws.channels[channel]

    def messages(self, channel: str, *, include_replies: bool = False) -> list[Message]:
        """Live messages of a channel in posting order; replies only when asked (or broadcast)."""
        with self.ws.lock:
            ch = self.ws.channel(channel)
            return [
                m
                for m in ch.messages.values()
                if not m.deleted and (include_replies or not m.is_reply or m.reply_broadcast)
            ]

    def message(self, channel: str, ts: str) -> Message:
        """One stored message, deleted ones included (KeyError if it never existed)."""
        with self.ws.lock:
            return self.ws.channel(channel).messages[ts]

    def thread(self, channel: str, ts: str) -> list[Message]:
        """Parent then replies of the thread containing `ts`."""
        with self.ws.lock:
            ch = self.ws.channel(channel)
            parent = self.ws.thread_parent(ch, ts)
            return [m for m in ch.messages.values() if not m.deleted and parent in (m.ts, m.thread_ts)]

    def ephemerals(self, user: str | None = None, channel: str | None = None) -> list[Ephemeral]:
        """Ephemeral messages still shown, optionally for one user/channel."""
        with self.ws.lock:
            return [
                e
                for e in self.ws.ephemerals
                if not e.deleted and user in (None, e.user) and channel in (None, e.channel)
            ]

    def views(self, user: str) -> list[View]:
        """The user's open modal stack, root first."""
        with self.ws.lock:
            return self.ws.stack(user)

    def view(self, view_id: str) -> View:
        """An open view (modal or home) by id (KeyError if closed/unknown)."""
        with self.ws.lock:
            return self.ws.views[view_id]

    def home(self, user: str) -> View | None:
        """The user's published Home tab."""
        with self.ws.lock:
            return self.ws.views.get(self.ws.homes.get(user, ""))

    def files(self, channel: str | None = None) -> list[FileRecord]:
        """Completed uploads, optionally shared in one channel."""
        with self.ws.lock:
            return [f for f in self.ws.files.values() if f.completed and channel in (None, *f.channels)]

    def find_messages(
        self, text_contains: str | None = None, *, channel: str | None = None, user: str | None = None
    ) -> list[Message]:
        """Live messages (replies included) whose text or block texts contain `text_contains`."""
        with self.ws.lock:
            chans = [self.ws.channel(channel)] if channel else list(self.ws.channels.values())
            found = []
            for ch in chans:
                for m in ch.messages.values():
                    haystack = m.text + "\n" + json.dumps(m.blocks, ensure_ascii=False)
                    if not m.deleted and user in (None, m.user) and (not text_contains or text_contains in haystack):
                        found.append(m)
            return found

    def mentions_in(self, channel: str | None = None) -> list[MentionHit]:
        """Every place the app sent <!…>/<@…>/<#…>/<http…>/<mailto…> syntax (views have channel None)."""
        with self.ws.lock:
            return [h for h in self.ws.mentions if channel is None or h.channel == channel]

    def truncations(self) -> list[Message]:
        """Messages whose text chat.postMessage cut to 40,000 characters."""
        with self.ws.lock:
            return [m for ch in self.ws.channels.values() for m in ch.messages.values() if m.truncated_from]

    @property
    def problems(self) -> list[str]:
        """What real Slack would have refused or shown as an error outside a Web API answer (e.g. bad acks)."""
        with self.ws.lock:
            return list(self.ws.problems)

    def snapshot(self) -> dict[str, Any]:
        """The whole workspace as JSON-friendly data (served at GET /_fake/state)."""
        ws = self.ws
        with ws.lock:
            return {
                "team": {"id": ws.team_id, "domain": ws.team_domain},
                "bot": {"user_id": ws.bot_user_id, "bot_id": ws.bot_id, "name": ws.bot_name},
                "users": ws.users,
                "usergroups": list(ws.usergroups.values()),
                "channels": [
                    {**as_dict(ch), "messages": [as_dict(m) for m in ch.messages.values()]}
                    for ch in ws.channels.values()
                    if not ch.deleted
                ],
                "ephemerals": [as_dict(e) for e in ws.ephemerals if not e.deleted],
                "views": {u: [v.to_api() for v in ws.stack(u)] for u in ws.stacks if ws.stacks[u]},
                "homes": {u: ws.views[v].to_api() for u, v in ws.homes.items()},
                "files": [as_dict(f) for f in ws.files.values()],
                "mentions": [as_dict(h) for h in ws.mentions],
                "problems": list(ws.problems),
            }

    # ---- changes made by humans/admins in Slack
    def add_user(self, user_id: str, **fields: Any) -> None:
        """Add a workspace member (name, real_name, tz, email, is_bot...)."""
        with self.ws.lock:
            self.ws.users[user_id] = dict(fields)

    def add_channel(
        self, channel: str, *, name: str = "", is_private: bool = False, members: Iterable[str] = ()
    ) -> Channel:
        """Create a channel."""
        with self.ws.lock:
            return self.ws.add_channel(channel, name=name, is_private=is_private, members=members)

    def add_member(self, channel: str, user: str) -> None:
        """Someone joins (or invites the bot into) a channel."""
        with self.ws.lock:
            self.ws.channel(channel).members.add(user)

    def remove_member(self, channel: str, user: str) -> None:
        """Someone leaves or is kicked (the bot included)."""
        with self.ws.lock:
            self.ws.channel(channel).members.discard(user)

    def archive(self, channel: str, archived: bool = True) -> None:
        """Archive (or unarchive) a channel."""
        with self.ws.lock:
            self.ws.channel(channel).is_archived = archived

    def delete_channel(self, channel: str) -> None:
        """Delete a channel: every later call naming it gets channel_not_found."""
        with self.ws.lock:
            self.ws.channel(channel).deleted = True

    def post_as_user(self, channel: str, user: str, text: str, thread_ts: str | None = None) -> Message:
        """A human posts a message (no event is sent; see SlackDriver.mention for that)."""
        with self.ws.lock:
            self.ws.user(user)
            ch = self.ws.channel(channel)
            return self.ws.add_message(ch, text=text, user=user, thread_ts=self.ws.thread_parent(ch, thread_ts))

    def issue_trigger(self, user: str) -> str:
        """A trigger_id valid for 3 s (by the fake's clock), as an interaction would carry."""
        with self.ws.lock:
            return self.ws.issue_trigger(user)
