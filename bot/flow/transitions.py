"""The lifecycle, written out once: which moves are legal, and the one function that makes them."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.errors import InvalidTransition
from bot.store import proposals

FINAL_DECISIONS = frozenset({"approved", "rejected", "expired", "cancelled", "auto_approved", "denied", "taken"})
DECISION_MOVES: dict[str, frozenset[str]] = {
    "pending": frozenset({"approved", "rejected", "expired", "cancelled", "taken"}),
}
EXECUTION_MOVES: dict[str, frozenset[str]] = {
    "none": frozenset({"queued", "skipped"}),
    "queued": frozenset({"running", "skipped"}),
    "running": frozenset({"succeeded", "failed", "queued"}),  # queued again = a retry is scheduled
    "failed": frozenset({"queued", "succeeded"}),  # Retry button, or Mark done by hand
    "skipped": frozenset({"succeeded", "failed"}),  # the agent reports a callback execution
}
FINAL_EXECUTIONS = frozenset({"succeeded", "failed"})
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
