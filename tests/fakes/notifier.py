"""A Notifier that records what the flows asked Slack to do, and can be told to fail like Slack does."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

from bot.flow.ports import MessageFacts, MessageRef, Note, NotifyError
from bot.flow.public import ProposalPublic


@dataclass
class RecordingNotifier:
    """Posts get ts "1.000001", "1.000002"...; `fail(...)` queues errors for the next calls."""

    posts: list[ProposalPublic] = field(default_factory=list)  # the proposal's public state at each call
    updates: list[ProposalPublic] = field(default_factory=list)
    notes: list[tuple[str, Note]] = field(default_factory=list)  # (proposal id, note)
    _errors: deque[NotifyError] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, *errors: NotifyError) -> None:
        """The next calls raise these errors, in order."""
        with self._lock:
            self._errors.extend(errors)

    def _maybe_fail(self) -> None:
        with self._lock:
            if self._errors:
                raise self._errors.popleft()

    def post_proposal(self, facts: MessageFacts) -> MessageRef:
        """Record the post; answer with the next ts."""
        self._maybe_fail()
        with self._lock:
            self.posts.append(facts.view)
            return MessageRef(channel="C0PAYOUTS", ts=f"1.{len(self.posts):06d}")

    def update_proposal(self, facts: MessageFacts) -> None:
        """Record the update (the proposal's public state at that moment)."""
        self._maybe_fail()
        with self._lock:
            self.updates.append(facts.view)

    def post_note(self, facts: MessageFacts, note: Note) -> None:
        """Record the thread reply."""
        self._maybe_fail()
        with self._lock:
            self.notes.append((facts.view.id, note))

    def notes_of(self, kind: str) -> list[Note]:
        """Recorded notes of one kind, oldest first."""
        with self._lock:
            return [n for _, n in self.notes if n.kind == kind]
