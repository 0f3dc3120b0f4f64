"""FastAPI dependencies: the services and the calling agent."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request
from starlette.concurrency import run_in_threadpool

from bot.flow.agents import AgentIdentity, authenticate
from bot.flow.context import Services


def get_services(request: Request) -> Services:
    """The Services built by create_app."""
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


BearerHeader = Annotated[str | None, Header(alias="authorization", description="Bearer <agent token>")]


async def get_agent(svc: ServicesDep, authorization: BearerHeader = None) -> AgentIdentity:
    """Authenticate the bearer token (401 if missing, unknown or revoked)."""
    return await run_in_threadpool(authenticate, svc, authorization)


AgentDep = Annotated[AgentIdentity, Depends(get_agent)]
