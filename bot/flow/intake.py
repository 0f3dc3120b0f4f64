"""Intake: store the proposal first, route it by policy, queue what follows. Nothing external happens here."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from bot.errors import Conflict
from bot.flow import effects
from bot.flow.agents import AgentIdentity, require_scope
from bot.flow.checks import payload_problems
from bot.flow.hashing import canonical_hash
from bot.flow.requests import HandoffRequest, ProposalRequest, request_dump
from bot.flow.services import Services
from bot.flow.views import ProposalPublic, load_public
from bot.policy import ApprovalPolicy, RouteDecision, WorkflowPolicy, evaluate
from bot.store import audit, due, proposals
from bot.store.db import session_scope
from bot.store.models import Proposal

DUPLICATE_WINDOW = timedelta(hours=24)
STATUS_BY_ROUTE = {"auto": "auto_approved", "approve": "pending", "deny": "denied"}


def submit(svc: Services, *, agent: AgentIdentity, req: ProposalRequest) -> tuple[ProposalPublic, bool]:
    """Accept a proposal; returns (proposal, created). A repeat of the same idempotency key returns the original."""
    wf = svc.policies.workflow(req.workflow)
    act = wf.action(req.action)
    require_scope(agent, req.workflow, req.action)
    problems = payload_problems(svc, req.workflow, req.action, req.payload)
    decision = evaluate(wf, act, payload=req.payload,
                        context={"requested_by": req.requested_by or "", "agent": agent.name, "summary": req.summary})
    decision = _no_auto_with_problems(decision, problems)
    return _store(svc, agent, req, wf, act.approval, decision, problems, kind="proposal")


def handoff(svc: Services, *, agent: AgentIdentity, req: HandoffRequest) -> tuple[ProposalPublic, bool]:
    """Accept a handoff: a case for a human to take, reminded and escalated like a proposal."""
    wf = svc.policies.workflow(req.workflow)
    require_scope(agent, req.workflow, None)
    approval = wf.handoff_policy()
    decision = RouteDecision(route="approve", reason="handed off by the agent", rule_index=None,
                             required_approvals=1, errors=[])
    return _store(svc, agent, req, wf, approval, decision, [], kind="handoff")


def _no_auto_with_problems(decision: RouteDecision, problems: list[dict[str, str]]) -> RouteDecision:
    # A payload we could not validate must never run without a human looking at it.
    if decision.route == "auto" and problems:
        return replace(decision, route="approve", reason=f"payload has problems ({decision.reason})")
    return decision


def _store(svc: Services, agent: AgentIdentity, req: ProposalRequest | HandoffRequest, wf: WorkflowPolicy,
           approval: ApprovalPolicy, decision: RouteDecision, problems: list[dict[str, str]],
           *, kind: str) -> tuple[ProposalPublic, bool]:
    body = request_dump(req)
    request_hash = canonical_hash({"kind": kind, **body})
    for _ in range(2):  # a concurrent insert of the same idempotency key loses once, then finds the winner
        try:
            with session_scope(svc.engine) as s:
                if req.idempotency_key:
                    existing = proposals.by_idempotency_key(session=s, agent=agent.name, key=req.idempotency_key)
                    if existing is not None:
                        return _repeat(s, existing, request_hash), False
                p = _new_row(svc, agent, body, wf, approval, decision, problems, kind, request_hash)
                dup = proposals.latest_same_content(session=s, content_hash=p.content_hash,
                                                    since=p.created_at - DUPLICATE_WINDOW)
                p.duplicate_of = dup.id if dup else None
                proposals.insert(session=s, proposal=p)
                _queue_followups(s, svc, p, approval)
                audit.append(session=s, actor=f"agent:{agent.name}", action="intake", at=p.created_at,
                             proposal_id=p.id, after=p.status, reason=p.reason,
                             data={"route": p.route, "rule": p.rule_index, "problems": len(problems)})
                created = load_public(s, p.id)
            svc.kick()
            assert created is not None
            return created, True
        except IntegrityError:
            if not req.idempotency_key:
                raise
    raise Conflict("could not store the proposal: concurrent requests with the same idempotency key")


def _repeat(s: Any, existing: Proposal, request_hash: str) -> ProposalPublic:
    if existing.request_hash != request_hash:
        raise Conflict(f"idempotency key {existing.idempotency_key!r} was already used with different content",
                       proposal_id=existing.id)
    found = load_public(s, existing.id)
    assert found is not None
    return found


def _new_row(svc: Services, agent: AgentIdentity, body: dict[str, Any], wf: WorkflowPolicy,
             approval: ApprovalPolicy, decision: RouteDecision, problems: list[dict[str, str]], kind: str,
             request_hash: str) -> Proposal:
    now = svc.clock.now()
    status = "pending" if kind == "handoff" else STATUS_BY_ROUTE[decision.route]
    payload = body.get("payload")
    thread = body.get("thread") or {}
    return Proposal(
        id=str(uuid.uuid4()), kind=kind, agent=agent.name, workflow=wf.name, action=body.get("action") or "handoff",
        summary=body["summary"], payload=payload, original_payload=payload, edited=False, diff=[], version=1,
        problems=problems, idempotency_key=body.get("idempotency_key"), request_hash=request_hash,
        content_hash=canonical_hash([kind, wf.name, body.get("action"), payload]),
        requested_by=body.get("requested_by"), thread_channel=thread.get("channel"), thread_ts=thread.get("ts"),
        links=body.get("links") or [], escalated_to=[], callback_url=body.get("callback_url"), route=decision.route,
        reason=decision.reason, rule_index=decision.rule_index, required_approvals=decision.required_approvals,
        mode=wf.mode, status=status, decided_at=None if status == "pending" else now,
        decision_seconds=None if status == "pending" else 0.0, created_at=now,
        expires_at=now + approval.expire_after if status == "pending" else None,
        decided_by=None if status == "pending" else "policy",
    )


def _queue_followups(s: Any, svc: Services, p: Proposal, approval: ApprovalPolicy) -> None:
    now = p.created_at
    if p.status == "pending":
        effects.queue_post(s, p, now)
        _queue_timers(s, p, approval, now)
        return
    if p.status == "auto_approved":
        effects.start_execution(s, svc, p, now)
        if p.mode == "shadow":
            effects.queue_post(s, p, now)  # shadow runs are shown so people can see what would have happened
    effects.queue_callback(s, p, "decision", now)


def _queue_timers(s: Any, p: Proposal, approval: ApprovalPolicy, now: datetime) -> None:
    """Reminders, escalation steps and expiry live in the database, so restarts lose none of them."""
    if approval.remind_after:
        due.enqueue(session=s, kind="remind", proposal_id=p.id, due_at=now + approval.remind_after, now=now,
                    data={"n": 1}, dedupe_key=f"remind:{p.id}:1")
    for level, step in enumerate(approval.escalate, start=1):
        due.enqueue(session=s, kind="escalate", proposal_id=p.id, due_at=now + step.after, now=now,
                    data={"level": level}, dedupe_key=f"escalate:{p.id}:{level}")
    assert p.expires_at is not None
    due.enqueue(session=s, kind="expire", proposal_id=p.id, due_at=p.expires_at, now=now, dedupe_key=f"expire:{p.id}")
