"""What the flow needs from the outside world, as small Protocols (Slack implements them; tests use fakes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class MessageRef:
    """Where a proposal's message lives in Slack."""

    channel: str
    ts: str
    permalink: str | None = None


@dataclass(frozen=True)
class Note:
    """A thread reply: `kind` picks the template, `data` fills it (the Slack layer renders it)."""

    kind: str
    data: dict[str, Any]


class NotifyError(Exception):
    """Slack refused or failed. `retryable` false means trying again cannot help (e.g. channel archived)."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        throttled_channel: str | None = None,
        in_doubt: bool = False,
    ) -> None:
        super().__init__(message)
        self.retryable, self.retry_after = retryable, retry_after
        self.throttled_channel = throttled_channel  # set when Slack rate-limited a message to this channel
        self.in_doubt = in_doubt  # no answer (timeout, reset): Slack may still carry the call out, later


class Notifier(Protocol):
    """Posts and updates proposal messages. Raises NotifyError (retryable or not) on failure."""

    def post_proposal(self, proposal: Any) -> MessageRef: ...

    def update_proposal(self, proposal: Any) -> None: ...

    def post_note(self, proposal: Any, note: Note) -> None: ...


class DigestPublisher(Protocol):
    """Posts the monthly digest (then its chart in the digest's thread). Raises NotifyError on failure."""

    def post_digest(self, report: Any) -> MessageRef: ...

    def post_chart(self, report: Any, ref: MessageRef, png: bytes) -> None: ...


class Directory(Protocol):
    """Who is in a user group (cached by the implementation)."""

    def members(self, usergroup: str) -> frozenset[str]: ...


class EmptyDirectory:
    """Used when Slack is not configured: groups resolve to nobody, so only listed users may decide."""

    def members(self, usergroup: str) -> frozenset[str]:
        """No members are known."""
        return frozenset()
