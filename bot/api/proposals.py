"""Agent API v1: proposals and handoffs. Routes parse, authenticate and call one flow function."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from bot.api.auth_first import AuthFirstRoute
from bot.api.deps import AgentDep, BearerHeader, ServicesDep
from bot.api.problems import ERROR_RESPONSES
from bot.enums import ProposalStatus
from bot.errors import NotFound
from bot.flow import intake, lifecycle, results
from bot.flow.agents import authenticate
from bot.flow.context import Services
from bot.flow.public import ProposalPublic, load_public
from bot.flow.requests import HandoffRequest, ProposalRequest, ResultReport
from bot.store import proposals
from bot.store.db import read_scope

router = APIRouter(prefix="/api/v1", tags=["proposals"], responses=ERROR_RESPONSES, route_class=AuthFirstRoute)


def _created(request: Request, view: ProposalPublic, created: bool) -> Response:
    if created:
        request.app.state.metrics.proposals.labels(view.workflow, view.route).inc()
    return Response(view.model_dump_json(), status_code=201 if created else 200, media_type="application/json")


@router.post(
    "/proposals",
    response_model=ProposalPublic,
    status_code=201,
    responses={200: {"model": ProposalPublic, "description": "Repeat of an idempotency key: the original"}},
)
async def create_proposal(
    request: Request, req: ProposalRequest, svc: ServicesDep, authorization: BearerHeader = None
) -> Response:
    """Propose an action. The policy routes it: auto, needs approval, or deny."""
    # The hot path: authenticate and store in one trip to the threadpool (a dependency would be a second one).
    return _created(
        request, *await run_in_threadpool(lambda: intake.submit(svc, agent=authenticate(svc, authorization), req=req))
    )


@router.post("/handoffs", response_model=ProposalPublic, status_code=201, tags=["handoffs"])
async def create_handoff(
    request: Request, req: HandoffRequest, svc: ServicesDep, authorization: BearerHeader = None
) -> Response:
    """Hand a case the agent cannot handle to humans (posted with a Take-it button)."""
    return _created(
        request, *await run_in_threadpool(lambda: intake.handoff(svc, agent=authenticate(svc, authorization), req=req))
    )


def _own(svc: Services, proposal_id: str, agent: str) -> ProposalPublic:
    with read_scope(svc.engine) as s:
        view = load_public(s, proposal_id)
        row = proposals.get(session=s, proposal_id=proposal_id)
    if view is None or row is None or row.agent != agent:
        raise NotFound(f"no proposal {proposal_id}")  # other agents' proposals are invisible, not forbidden
    return view


@router.get("/proposals/{proposal_id}", response_model=ProposalPublic)
async def get_proposal(proposal_id: str, svc: ServicesDep, agent: AgentDep) -> ProposalPublic:
    """Full current state of one of this agent's proposals."""
    return await run_in_threadpool(_own, svc, proposal_id, agent.name)


@router.get("/proposals/{proposal_id}/wait", response_model=ProposalPublic)
async def wait_for_decision(
    proposal_id: str, svc: ServicesDep, agent: AgentDep, timeout: Annotated[float, Query(ge=0, le=120)] = 30
) -> ProposalPublic:
    """Long-poll until the proposal has a final decision or `timeout` seconds pass; returns the current state.

    The wait is woken by the decision (bot.flow.decisions), not by polling; 429 with Retry-After when the agent
    already holds COUNTERSIGN_MAX_WAITS_PER_AGENT waits."""
    deadline = time.monotonic() + timeout
    view = await run_in_threadpool(_own, svc, proposal_id, agent.name)
    if view.status != ProposalStatus.PENDING or timeout == 0:
        return view
    async with svc.decisions.waiting(proposal_id, agent.name) as woken:
        while True:
            # Read after subscribing: a decision committed before the subscription is seen here, any later one
            # sets `woken`.
            view = await run_in_threadpool(_own, svc, proposal_id, agent.name)
            remaining = deadline - time.monotonic()
            if view.status != ProposalStatus.PENDING or remaining <= 0:
                return view
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), remaining)
            woken.clear()


@router.post("/proposals/{proposal_id}/cancel", response_model=ProposalPublic)
async def cancel_proposal(proposal_id: str, svc: ServicesDep, agent: AgentDep) -> ProposalPublic:
    """Withdraw a pending proposal (409 if it was already decided)."""
    return await run_in_threadpool(lambda: lifecycle.cancel(svc, proposal_id=proposal_id, agent=agent.name))


@router.post("/proposals/{proposal_id}/result", response_model=ProposalPublic)
async def report_result(proposal_id: str, report: ResultReport, svc: ServicesDep, agent: AgentDep) -> ProposalPublic:
    """Report the outcome of an action the agent executed itself (`connector: callback`)."""
    return await run_in_threadpool(
        lambda: results.report(
            svc, proposal_id=proposal_id, agent=agent.name, ok=report.ok, result=report.result, error=report.error
        )
    )
