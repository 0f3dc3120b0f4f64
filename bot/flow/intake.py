"""Intake: store the proposal first, route it by policy, queue what follows. Nothing external happens here."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from pydantic_core import PydanticUndefined
from sqlalchemy.exc import IntegrityError

from bot.enums import ProposalKind, ProposalStatus, Route
from bot.errors import Conflict
from bot.flow.agents import AgentIdentity, require_scope
from bot.flow.context import Services
from bot.flow.hashing import canonical_hash
from bot.flow.outbox import SLACK_KINDS
from bot.flow.payload_problems import payload_problems
from bot.flow.public import ProposalPublic, load_public, public
from bot.flow.requests import HandoffRequest, ProposalRequest, request_dump
from bot.flow.transitions import FINAL_DECISIONS
from bot.policy import ApprovalPolicy, RouteDecision, WorkflowPolicy, evaluate
from bot.receipts import issue as receipts
from bot.store import audit, due, proposals
from bot.store.db import session_scope
from bot.store.models import Proposal

DUPLICATE_WINDOW = timedelta(hours=24)
STATUS_BY_ROUTE = {
    Route.AUTO: ProposalStatus.AUTO_APPROVED,
    Route.APPROVE: ProposalStatus.PENDING,
    Route.DENY: ProposalStatus.DENIED,
}


def submit(svc: Services, *, agent: AgentIdentity, req: ProposalRequest) -> tuple[ProposalPublic, bool]:
    """Accept a proposal; returns (proposal, created). A repeat of the same idempotency key returns the original."""
    wf = svc.policies.workflow(req.workflow)
    act = wf.action(req.action)
    require_scope(svc, agent, req.workflow, req.action, attempt="propose")
    problems = payload_problems(svc, req.workflow, req.action, req.payload)
    decision = evaluate(
        wf,
        act,
        payload=req.payload,
        context={"requested_by": req.requested_by or "", "agent": agent.name, "summary": req.summary},
    )
    decision = _no_auto_with_problems(decision, problems)
    return _store(svc, agent, req, wf, act.approval, decision, problems, kind=ProposalKind.PROPOSAL)


def handoff(svc: Services, *, agent: AgentIdentity, req: HandoffRequest) -> tuple[ProposalPublic, bool]:
    """Accept a handoff: a case for a human to take, reminded and escalated like a proposal."""
    wf = svc.policies.workflow(req.workflow)
    require_scope(svc, agent, req.workflow, None, attempt="handoff")
    approval = wf.handoff_policy()
    decision = RouteDecision(
        route=Route.APPROVE, reason="handed off by the agent", rule_index=None, required_approvals=1, errors=[]
    )
    return _store(svc, agent, req, wf, approval, decision, [], kind=ProposalKind.HANDOFF)


def _no_auto_with_problems(decision: RouteDecision, problems: list[dict[str, str]]) -> RouteDecision:
    # A payload we could not validate must never run without a human looking at it.
    if decision.route == Route.AUTO and problems:
        return replace(decision, route=Route.APPROVE, reason=f"payload has problems ({decision.reason})")
    return decision


def _store(
    svc: Services,
    agent: AgentIdentity,
    req: ProposalRequest | HandoffRequest,
    wf: WorkflowPolicy,
    approval: ApprovalPolicy,
    decision: RouteDecision,
    problems: list[dict[str, str]],
    *,
    kind: str,
) -> tuple[ProposalPublic, bool]:
    body = request_dump(req)
    request_hash = canonical_hash({"kind": kind, **body})
    for _ in range(2):  # a concurrent insert of the same idempotency key loses once, then finds the winner
        try:
            with session_scope(svc.engine) as s:
                if req.idempotency_key:
                    existing = proposals.by_idempotency_key(session=s, agent=agent.name, key=req.idempotency_key)
                    if existing is not None:
                        return _repeat(s, existing, request_hash), False
                row = _new_row(svc, agent, body, wf, approval, decision, problems, kind, request_hash)
                row["duplicate_of"] = proposals.latest_same_content(
                    session=s,
                    content_hash=row["content_hash"],
                    agent=agent.name,
                    since=row["created_at"] - DUPLICATE_WINDOW,
                )
                proposals.insert_row(session=s, row=row)
                receipt = receipts.issue(s, svc, _as_stored(row)) if row["status"] in FINAL_DECISIONS else None
                followups = _followups(row, approval)
                due.enqueue_new(session=s, rows=followups)
                audit.append(
                    session=s,
                    actor=f"agent:{agent.name}",
                    action="intake",
                    at=row["created_at"],
                    proposal_id=row["id"],
                    after=row["status"],
                    reason=row["reason"],
                    data={"route": row["route"], "rule": row["rule_index"], "problems": len(problems)},
                )
            if _runnable_now(svc, followups, row["created_at"]):
                svc.kick()
            return public(_as_stored(row), [], receipt=receipt), True
        except IntegrityError:
            if not req.idempotency_key:
                raise
    raise Conflict("could not store the proposal: concurrent requests with the same idempotency key")


# What a freshly inserted row reads back as: the columns intake does not set take their defaults (or None).
_DEFAULTS = {
    name: None if field.default is PydanticUndefined else field.default for name, field in Proposal.model_fields.items()
}


def _as_stored(row: dict[str, Any]) -> Any:
    """The new row as public() reads it, without building an ORM instance (a third of intake's own CPU)."""
    return SimpleNamespace(**{**_DEFAULTS, **row})


def _repeat(s: Any, existing: Proposal, request_hash: str) -> ProposalPublic:
    if existing.request_hash != request_hash:
        raise Conflict(
            f"idempotency key {existing.idempotency_key!r} was already used with different content",
            proposal_id=existing.id,
        )
    found = load_public(s, existing.id)
    assert found is not None
    return found


def _new_row(
    svc: Services,
    agent: AgentIdentity,
    body: dict[str, Any],
    wf: WorkflowPolicy,
    approval: ApprovalPolicy,
    decision: RouteDecision,
    problems: list[dict[str, str]],
    kind: str,
    request_hash: str,
) -> dict[str, Any]:
    now = svc.clock.now()
    status = ProposalStatus.PENDING if kind == ProposalKind.HANDOFF else STATUS_BY_ROUTE[decision.route]
    payload, thread, pending = body.get("payload"), body.get("thread") or {}, status == ProposalStatus.PENDING
    return {
        "id": str(uuid.uuid4()),
        "kind": kind,
        "agent": agent.name,
        "workflow": wf.name,
        "action": body.get("action") or "handoff",
        "summary": body["summary"],
        "payload": payload,
        "original_payload": payload,
        "edited": False,
        "diff": [],
        "version": 1,
        "problems": problems,
        "idempotency_key": body.get("idempotency_key"),
        "request_hash": request_hash,
        "content_hash": canonical_hash([kind, wf.name, body.get("action"), payload]),
        "requested_by": body.get("requested_by"),
        "thread_channel": thread.get("channel"),
        "thread_ts": thread.get("ts"),
        "links": body.get("links") or [],
        "escalated_to": [],
        "callback_url": body.get("callback_url"),
        "route": decision.route,
        "reason": decision.reason,
        "rule_index": decision.rule_index,
        "required_approvals": decision.required_approvals,
        "mode": wf.mode,
        "status": status,
        "execution_status": _initial_execution(svc, wf, body, status),
        "decided_at": None if pending else now,
        "decision_seconds": None if pending else 0.0,
        "decided_by": None if pending else "policy",
        "created_at": now,
        "expires_at": now + approval.expire_after if pending else None,
    }


def _initial_execution(svc: Services, wf: WorkflowPolicy, body: dict[str, Any], status: str) -> str:
    """An auto-approved action is queued at once (or skipped: shadow mode, or the agent executes it)."""
    if status != ProposalStatus.AUTO_APPROVED:
        return "none"
    remote = svc.connectors.executes_remotely(wf.action(body["action"]))
    return "skipped" if wf.mode == "shadow" or remote else "queued"


def _runnable_now(svc: Services, items: list[dict[str, Any]], now: datetime) -> bool:
    """Is a sweep worth waking? Reminders are for later, and Slack work waits while Slack is not configured."""
    return any(i["due_at"] <= now and (svc.notifier is not None or i["kind"] not in SLACK_KINDS) for i in items)


def _followups(row: dict[str, Any], approval: ApprovalPolicy) -> list[dict[str, Any]]:
    """Due work for a new proposal. Reminders, escalations and expiry live in the database: restarts lose none."""
    now, pid = row["created_at"], row["id"]

    def item(kind: str, at: datetime, key: str | None = None, **data: Any) -> dict[str, Any]:
        return {
            "kind": kind,
            "proposal_id": pid,
            "due_at": at,
            "created_at": now,
            "dedupe_key": key,
            "data": data or None,
            "max_attempts": 1000,
        }

    items = []
    if (
        row["status"] == ProposalStatus.PENDING or row["mode"] == "shadow"
    ):  # shadow runs are shown, auto-routed ones too
        items.append(item("slack_post", now, f"post:{pid}"))
    if row["status"] == ProposalStatus.PENDING:
        if approval.remind_after:
            items.append(item("remind", now + approval.remind_after, f"remind:{pid}:1", n=1))
        items += [
            item("escalate", now + step.after, f"escalate:{pid}:{level}", level=level)
            for level, step in enumerate(approval.escalate, start=1)
        ]
        items.append(item("expire", row["expires_at"], f"expire:{pid}"))
    if row["execution_status"] == "queued":
        items.append(item("execute", now, f"execute:{pid}"))
    if row["status"] != ProposalStatus.PENDING and row["callback_url"]:
        items.append({**item("callback", now, f"callback:{pid}:decision", event="decision"), "max_attempts": 12})
    return items
