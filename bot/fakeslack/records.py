"""Plain records of the fake workspace: channels, messages, views, files, calls."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Message:
    """A message stored in a channel (the app's or a user's)."""

    channel: str
    ts: str
    text: str
    user: str
    bot_id: str | None = None
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None  # parent ts for replies only; None for top-level messages
    metadata: dict[str, Any] | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    reactions: dict[str, list[str]] = field(default_factory=dict)
    edits: list[dict[str, Any]] = field(default_factory=list)  # earlier versions, oldest first
    reply_broadcast: bool = False
    deleted: bool = False
    truncated_from: int | None = None  # original text length when Slack cut it to 40,000 chars
    reply_count: int = 0

    @property
    def is_reply(self) -> bool:
        """True for a thread reply."""
        return self.thread_ts is not None

    def to_api(self, team_id: str = "") -> dict[str, Any]:
        """The message object as Slack returns it in API responses and payloads."""
        out: dict[str, Any] = {"type": "message", "ts": self.ts, "text": self.text, "user": self.user}
        if self.bot_id:
            out["bot_id"] = self.bot_id
        if team_id:
            out["team"] = team_id
        if self.blocks:
            out["blocks"] = self.blocks
        if self.thread_ts:
            out["thread_ts"] = self.thread_ts
        elif self.reply_count:
            # Slack marks a thread parent with its own ts as thread_ts
            out.update(thread_ts=self.ts, reply_count=self.reply_count)
        if self.metadata:
            out["metadata"] = self.metadata
        if self.files:
            out["files"] = self.files
            out["upload"] = True
        if self.reactions:
            out["reactions"] = [{"name": n, "users": u, "count": len(u)} for n, u in self.reactions.items()]
        if self.edits:
            out["edited"] = self.edits[-1]["edited"]
        if self.reply_broadcast:
            out["subtype"] = "thread_broadcast"
        return out


@dataclass
class Ephemeral:
    """A message only one user sees (chat.postEphemeral, response_url, slash-command ack)."""

    channel: str
    user: str
    ts: str
    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    deleted: bool = False
    edits: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Channel:
    """A conversation: public/private channel or the app's DM with one user."""

    id: str
    name: str
    is_private: bool = False
    is_im: bool = False
    is_archived: bool = False
    deleted: bool = False
    members: set[str] = field(default_factory=set)
    created: int = 0
    messages: dict[str, Message] = field(default_factory=dict)  # ts -> message, in posting order

    def to_api(self, bot_user_id: str, *, num_members: bool = False) -> dict[str, Any]:
        """The conversation object of conversations.info."""
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "is_channel": not self.is_private and not self.is_im,
            "is_group": self.is_private,
            "is_im": self.is_im,
            "is_private": self.is_private or self.is_im,
            "is_archived": self.is_archived,
            "is_member": bot_user_id in self.members,
            "created": self.created,
        }
        if num_members:
            out["num_members"] = len(self.members)
        return out


@dataclass
class View:
    """A modal or Home tab as Slack stores it."""

    id: str
    user: str
    body: dict[str, Any]  # the view JSON the app sent
    hash: str
    team_id: str
    app_id: str
    bot_id: str
    root_view_id: str = ""
    previous_view_id: str | None = None
    external_id: str = ""
    errors: dict[str, str] = field(default_factory=dict)  # last response_action=errors shown

    @property
    def type(self) -> str:
        """'modal' or 'home'."""
        return str(self.body.get("type", ""))

    @property
    def callback_id(self) -> str:
        """The app's callback_id ('' when absent)."""
        return str(self.body.get("callback_id") or "")

    @property
    def private_metadata(self) -> str:
        """The app's private_metadata ('' when absent)."""
        return str(self.body.get("private_metadata") or "")

    @property
    def blocks(self) -> list[dict[str, Any]]:
        """The view's blocks."""
        return list(self.body.get("blocks") or [])

    def to_api(self, state_values: dict[str, Any] | None = None) -> dict[str, Any]:
        """The view object of views.* responses and interaction payloads."""
        out: dict[str, Any] = {
            "id": self.id,
            "team_id": self.team_id,
            "type": self.type,
            "blocks": self.blocks,
            "private_metadata": self.private_metadata,
            "callback_id": self.callback_id,
            "state": {"values": state_values or {}},
            "hash": self.hash,
            "clear_on_close": bool(self.body.get("clear_on_close", False)),
            "notify_on_close": bool(self.body.get("notify_on_close", False)),
            "previous_view_id": self.previous_view_id,
            "root_view_id": self.root_view_id or self.id,
            "app_id": self.app_id,
            "external_id": self.external_id,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }
        for key in ("title", "submit", "close"):
            if key in self.body:
                out[key] = self.body[key]
        return out


@dataclass
class FileRecord:
    """A file uploaded through files.getUploadURLExternal + completeUploadExternal."""

    id: str
    filename: str
    length: int
    title: str = ""
    alt_txt: str | None = None
    content: bytes | None = None  # None until the upload_url POST arrives
    completed: bool = False
    channels: list[str] = field(default_factory=list)
    thread_ts: str | None = None
    initial_comment: str | None = None

    def to_api(self, base_url: str) -> dict[str, Any]:
        """The file object of files.completeUploadExternal."""
        return {
            "id": self.id,
            "name": self.filename,
            "title": self.title or self.filename,
            "size": len(self.content or b""),
            "channels": list(self.channels),
            "url_private": f"{base_url}/files/{self.id}/{self.filename}",
            "permalink": f"{base_url}/files/{self.id}",
        }


@dataclass
class Call:
    """One request to the fake (Web API method, response_url or upload)."""

    method: str
    args: dict[str, Any]
    status: int
    response: Any
    time: float

    @property
    def ok(self) -> bool:
        """True when Slack would call it a success."""
        return self.status == 200 and (not isinstance(self.response, dict) or bool(self.response.get("ok", True)))

    @property
    def error(self) -> str | None:
        """The Slack error code, if any."""
        return self.response.get("error") if isinstance(self.response, dict) else None


@dataclass
class MentionHit:
    """Mention/broadcast/link syntax found in text the app sent."""

    surface: str  # message | ephemeral | view | home | response_url | file_comment | ack
    channel: str | None
    ts: str | None
    pointer: str  # json-pointer of the text inside the payload
    text: str
    matches: list[str]


def as_dict(record: Any) -> dict[str, Any]:
    """A JSON-friendly dict of any record (bytes and sets made serialisable)."""
    data = asdict(record)
    for key, value in list(data.items()):
        if isinstance(value, set):
            data[key] = sorted(value)
        elif isinstance(value, bytes):
            data[key] = len(value)
    return data
