"""The lifecycle, written out once: which moves are legal, and the one function that makes them."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.enums import ExecutionStatus, ProposalStatus
from bot.errors import InvalidTransition
from bot.store import proposals

PS, ES = ProposalStatus, ExecutionStatus
FINAL_DECISIONS = frozenset(PS) - {PS.PENDING}
DECISION_MOVES: dict[str, frozenset[str]] = {
    PS.PENDING: frozenset({PS.APPROVED, PS.REJECTED, PS.EXPIRED, PS.CANCELLED, PS.TAKEN}),
}
EXECUTION_MOVES: dict[str, frozenset[str]] = {
    ES.NONE: frozenset({ES.QUEUED, ES.SKIPPED}),
    ES.QUEUED: frozenset({ES.RUNNING, ES.SKIPPED}),
    ES.RUNNING: frozenset({ES.SUCCEEDED, ES.FAILED, ES.QUEUED}),  # queued again = a retry is scheduled
    ES.FAILED: frozenset({ES.QUEUED, ES.SUCCEEDED}),  # Retry button, or Mark done by hand
    ES.SKIPPED: frozenset({ES.SUCCEEDED, ES.FAILED}),  # the agent reports a callback execution
}
FINAL_EXECUTIONS = frozenset({ES.SUCCEEDED, ES.FAILED})
_TABLES = {"status": DECISION_MOVES, "execution_status": EXECUTION_MOVES}


def transition(
    session: Session, proposal_id: str, *, column: str, before: str | tuple[str, ...], after: str, **values: Any
) -> bool:
    """Apply a legal move as one conditional UPDATE; True if this caller won the race, False if the row moved on."""
    sources = (before,) if isinstance(before, str) else before
    table = _TABLES[column]
    for source in sources:
        if after not in table.get(source, frozenset()):
            raise InvalidTransition(f"{column}: {source} -> {after} is not a legal move")
    return proposals.transition(
        session=session, proposal_id=proposal_id, column=column, before=sources, after=after, values=values
    )
