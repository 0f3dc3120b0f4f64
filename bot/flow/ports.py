"""What the flow needs from the outside world, as small typed Protocols (Slack implements them; tests use fakes).

Values cross one way: the flow gathers everything a rendering needs into `MessageFacts`; the Slack side renders what
it is given and never calls back into the flow."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypeAlias
from zoneinfo import ZoneInfo

from bot.enums import ProposalKind
from bot.flow.public import ProposalPublic
from bot.policy import ApprovalPolicy
from bot.policy.display import DisplayField

if TYPE_CHECKING:  # the digest's report model is heavy to import and only named here
    from bot.digest.report import DigestReport

# What a thread note carries: JSON, as stored in the outbox.
JSONValue: TypeAlias = "str | int | float | bool | list[JSONValue] | dict[str, JSONValue] | None"


@dataclass(frozen=True)
class MessageRef:
    """Where a proposal's message lives in Slack."""

    channel: str
    ts: str
    permalink: str | None = None


@dataclass(frozen=True)
class Deciders:
    """Who may decide a proposal right now: users and user groups, as Slack ids."""

    users: tuple[str, ...]
    usergroups: tuple[str, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        """Every user and group id, users first (edges format them as mentions)."""
        return self.users + self.usergroups


@dataclass(frozen=True)
class Surroundings:
    """Where a proposal sits: the agent's thread, its current deciders, the earlier look-alike's message."""

    thread: MessageRef | None  # the conversation the agent asked to post in
    deciders: Deciders
    duplicate: MessageRef | None  # the earlier look-alike's message, once it is posted


@dataclass(frozen=True)
class MessageFacts:
    """Everything a proposal message is rendered from, gathered by the flow. `note` is trusted mrkdwn shown on top
    (e.g. a fallback notice)."""

    view: ProposalPublic
    approval: ApprovalPolicy
    owner: str
    review_channel: str
    around: Surroundings
    zone: ZoneInfo
    display: list[DisplayField] = field(default_factory=list)
    sensitive: list[str] = field(default_factory=list)
    note: str | None = None

    @property
    def shadow(self) -> bool:
        """True for shadow-mode workflows (nothing executes)."""
        return self.view.mode == "shadow"

    @property
    def handoff(self) -> bool:
        """True for a case handed to humans rather than an action to approve."""
        return self.view.kind == ProposalKind.HANDOFF


@dataclass(frozen=True)
class Note:
    """A thread reply: `kind` picks the template, `data` fills it (the Slack layer renders it)."""

    kind: str
    data: dict[str, JSONValue]


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

    def post_proposal(self, facts: MessageFacts) -> MessageRef: ...

    def update_proposal(self, facts: MessageFacts) -> None: ...

    def post_note(self, facts: MessageFacts, note: Note) -> None: ...


class DigestPublisher(Protocol):
    """Posts the monthly digest (then its chart in the digest's thread). Raises NotifyError on failure."""

    def post_digest(self, report: DigestReport) -> MessageRef: ...

    def post_chart(self, report: DigestReport, ref: MessageRef, png: bytes) -> None: ...


class Directory(Protocol):
    """Who is in a user group (cached by the implementation)."""

    def members(self, usergroup: str) -> frozenset[str]: ...


class EmptyDirectory:
    """Used when Slack is not configured: groups resolve to nobody, so only listed users may decide."""

    def members(self, usergroup: str) -> frozenset[str]:
        """No members are known."""
        return frozenset()
