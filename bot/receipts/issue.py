"""Build, sign and store the receipt of a final decision, from the proposal as stored."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

if TYPE_CHECKING:  # only named in signatures; bot.flow.public imports this module
    from bot.flow.context import Services
from bot.receipts.canonical import payload_sha256
from bot.receipts.keys import service_key
from bot.store import proposals
from bot.store.models import Receipt

FORMAT = "countersign-receipt/1"
# Decisions a person made: the receipt names them. auto_approved, denied (the policy decided) and expired
# (nobody decided in time) have no deciders; approved names every approver of the version that will execute.
_DECIDED_BY_ONE = frozenset({"rejected", "cancelled", "taken"})


def _timestamp(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _policy_sha256(svc: Services, workflow: str) -> str | None:
    wf = svc.policies.workflows.get(workflow)
    return wf.source_sha256 if wf is not None else None  # the workflow was removed since the proposal was made


def deciders(s: Session, p: Any) -> list[str]:
    """Who decided, as the receipt lists them."""
    if p.status == "approved":
        users = [a.user for a in proposals.approvals(session=s, proposal_id=p.id, version=p.version)]
        return list(dict.fromkeys(users)) or [p.decided_by]
    return [p.decided_by] if p.status in _DECIDED_BY_ONE and p.decided_by else []


def body(s: Session, svc: Services, p: Any) -> dict[str, Any]:
    """The signed fields (docs/receipts.md lists each one)."""
    return {
        "format": FORMAT,
        "proposal_id": p.id,
        "workflow": p.workflow,
        "action": p.action,
        "decision": p.status,
        "version": p.version,
        "payload_sha256": payload_sha256(p.payload),
        "route": p.route,
        "rule": p.rule_index,
        "deciders": deciders(s, p),
        "decided_at": _timestamp(p.decided_at),
        "policy_sha256": _policy_sha256(svc, p.workflow),
        "expires_at": _timestamp(p.expires_at),
    }


def envelope(row: Receipt) -> dict[str, Any]:
    """The wire form: {"body", "signature", "key_id"}."""
    return {"body": row.body, "signature": row.signature, "key_id": row.key_id}


def issue(s: Session, svc: Services, p: Any) -> dict[str, Any]:
    """Sign and store the receipt of `p`'s final decision, in the caller's transaction (the first one stays)."""
    existing = s.get(Receipt, p.id)
    if existing is not None:
        return envelope(existing)
    signed = service_key(svc, s).sign(body(s, svc, p))
    s.add(
        Receipt(
            proposal_id=p.id,
            key_id=signed["key_id"],
            body=signed["body"],
            signature=signed["signature"],
            created_at=svc.clock.now(),
        )
    )
    s.flush()
    return signed


def stored(s: Session, proposal_id: str) -> dict[str, Any] | None:
    """The receipt of a decided proposal, or None while it is pending."""
    row = s.get(Receipt, proposal_id)
    return envelope(row) if row is not None else None
