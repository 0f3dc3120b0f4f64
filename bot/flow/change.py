"""The decision sequence, written once: lock the proposal, refuse (audited) or move it, re-read, queue the effects,
audit, and wake the sweep once the transaction has committed.

    with changing(svc, proposal_id) as c:
        if not allowed:
            c.refuse(NotAuthorized("..."), actor=user, attempt="approve")  # audited, raised after the commit
        fresh = c.decide(ProposalStatus.REJECTED, actor=user, reason=reason)

Refusals are checked before anything is written: a refusal commits only its audit event. Any other exception rolls
the whole change back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

from sqlmodel import Session

from bot.enums import ProposalStatus
from bot.errors import CountersignError, InvalidTransition, NotFound
from bot.flow import effects
from bot.flow.context import Services
from bot.flow.transitions import transition
from bot.store import audit, proposals
from bot.store.db import session_scope
from bot.store.models import Proposal


class _Refusal(Exception):  # carries a refusal out of the caller's block to `changing`, which audits it
    def __init__(self, error: CountersignError, actor: str, attempt: str, state: str) -> None:
        super().__init__(error.message)
        self.error, self.actor, self.attempt, self.state = error, actor, attempt, state


@dataclass
class Change:
    """One proposal, locked for the length of the transaction `s`."""

    s: Session
    svc: Services
    p: Proposal  # the row as locked, before this change
    now: datetime
    wrote: bool = False  # a move, update or audit event happened: the sweep may have new work

    def refuse(self, error: CountersignError, *, actor: str, attempt: str, state: str | None = None) -> NoReturn:
        """Stop here: the attempt is audited (with the state it left as it was, the decision's unless given) and
        committed, then `error` is raised to the caller."""
        raise _Refusal(error, actor, attempt, state or self.p.status)

    def move(self, column: str, before: str | tuple[str, ...], after: str, **values: Any) -> bool:
        """A legal state move as one conditional update; False if the row had already moved on."""
        self.wrote = True
        return transition(self.s, self.p.id, column=column, before=before, after=after, **values)

    def set(self, **values: Any) -> None:
        """Update plain fields (no state move)."""
        self.wrote = True
        proposals.set_fields(session=self.s, proposal_id=self.p.id, values=values)

    def fresh(self) -> Proposal:
        """The row as it is now, after this change's moves and updates."""
        row = proposals.get(session=self.s, proposal_id=self.p.id)
        if row is None:  # unreachable under the row lock; a NotFound beats an AttributeError later
            raise NotFound(f"no proposal {self.p.id}")
        return row

    def decide(
        self, after: ProposalStatus, *, actor: str, reason: str | None, data: dict[str, Any] | None = None
    ) -> Proposal:
        """pending -> `after` with who, when and why; queue what follows a decision and audit it."""
        won = self.move(
            "status",
            ProposalStatus.PENDING,
            after,
            decided_by=actor,
            decided_at=self.now,
            decision_reason=reason,
            decision_seconds=(self.now - self.p.created_at).total_seconds(),
        )
        if not won:
            raise InvalidTransition(f"this {self.p.kind} was decided a moment ago", status=self.p.status)
        fresh = self.fresh()
        effects.after_decision(self.s, self.svc, fresh, self.now)
        self.record(actor, "decision", before=ProposalStatus.PENDING, after=after, reason=reason, data=data)
        return fresh

    def record(
        self,
        actor: str,
        action: str,
        *,
        before: str | None = None,
        after: str | None = None,
        reason: str | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        """Append this change to the audit chain."""
        self.wrote = True
        audit.append(
            session=self.s,
            actor=actor,
            action=action,
            at=self.now,
            proposal_id=self.p.id,
            before=before,
            after=after,
            reason=reason,
            data=data,
        )


@contextmanager
def changing(svc: Services, proposal_id: str, *, agent: str | None = None) -> Iterator[Change]:
    """Lock the proposal (NotFound if missing, or not `agent`'s when given) for one change; see the module doc."""
    refusal: CountersignError | None = None
    with session_scope(svc.engine) as s:
        p = proposals.get_locked(session=s, proposal_id=proposal_id)
        if p is None or (agent is not None and p.agent != agent):
            raise NotFound(f"no proposal {proposal_id}" + (f" for agent {agent!r}" if agent is not None else ""))
        change = Change(s, svc, p, svc.clock.now())
        try:
            yield change
        except _Refusal as r:
            refusal = r.error
            now = svc.clock.now()
            audit.refused(
                session=s, actor=r.actor, attempt=r.attempt, error=r.error, at=now, proposal_id=p.id, state=r.state
            )
    if refusal is not None:
        raise refusal  # after the commit: the refused attempt stays in the audit log
    if change.wrote:  # a look that changed nothing (e.g. a permission check before a form) has no work to wake
        svc.kick()
