"""Hand-built proposal rows for digest tests: every field the digest reads, set directly."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from bot.flow.context import Services
from bot.store.db import session_scope
from bot.store.models import Proposal


def row(
    *,
    at: datetime,
    workflow: str = "payouts",
    action: str = "send",
    status: str = "approved",
    route: str = "approve",
    minutes: float | None = None,
    **fields: Any,
) -> Proposal:
    """A proposal created at `at`; `minutes` is the time to decision (decided_at follows from it)."""
    decided = at + timedelta(minutes=minutes) if minutes is not None else None
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "kind": "proposal",
        "agent": "agent-1",
        "workflow": workflow,
        "action": action,
        "summary": "s",
        "payload": {},
        "original_payload": {},
        "diff": [],
        "problems": [],
        "links": [],
        "escalated_to": [],
        "request_hash": "r",
        "content_hash": uuid.uuid4().hex,
        "route": route,
        "reason": "r",
        "status": status,
        "created_at": at,
        "decided_at": decided,
        "decision_seconds": None if minutes is None else minutes * 60,
    }
    values.update(fields)
    return Proposal(**values)


def insert(svc: Services, *rows: Proposal) -> None:
    """Store rows in one transaction."""
    with session_scope(svc.engine) as s:
        s.add_all(rows)
