"""Agent tokens: created once and shown once, stored hashed, checked against scopes on every call."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import NoReturn

from bot import limits
from bot.errors import Conflict, CountersignError, NotAuthenticated, NotAuthorized, NotFound
from bot.flow.context import Services
from bot.store import agents, audit
from bot.store.db import read_scope, session_scope

TOKEN_PREFIX = "cs_"
SCOPE_RE = re.compile(r"^(\*|[a-z0-9][a-z0-9_-]*(:[A-Za-z0-9_.-]+)?)$")
NAME_RE = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9_.-]{{0,{limits.AGENT_NAME - 1}}}$")


@dataclass(frozen=True)
class AgentIdentity:
    name: str
    scopes: tuple[str, ...]

    def may_propose(self, workflow: str, action: str | None) -> bool:
        """True if a scope covers this workflow (and action, when given)."""
        for scope in self.scopes:
            wf, _, act = scope.partition(":")
            if scope == "*" or (wf == workflow and (not act or act == action)):
                return True
        return False


def hash_token(token: str) -> str:
    """SHA-256 hex of a token: tokens are high-entropy, so a fast hash is enough and keeps lookups O(1)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create(svc: Services, *, name: str, scopes: list[str]) -> str:
    """Create an agent and return its token (the only time it is visible)."""
    if not NAME_RE.match(name):
        raise Conflict(f"agent name {name!r} must be 1-{limits.AGENT_NAME} letters, digits, '.', '_' or '-'")
    bad = [s for s in scopes if not SCOPE_RE.match(s)]
    if not scopes or bad:
        raise Conflict(f"scopes must be WORKFLOW, WORKFLOW:ACTION or '*' (got {', '.join(bad) or 'none'})")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = svc.clock.now()
    with session_scope(svc.engine) as s:
        if agents.by_name(session=s, name=name):
            raise Conflict(f"an agent named {name!r} already exists")
        agents.insert(
            session=s, name=name, token_hash=hash_token(token), token_prefix=token[:8], scopes=scopes, now=now
        )
        audit.append(session=s, actor="cli", action="agent_created", at=now, reason=name, data={"scopes": scopes})
    return token


def revoke(svc: Services, *, name: str) -> None:
    """Revoke an agent's token; its next call gets 401."""
    now = svc.clock.now()
    with session_scope(svc.engine) as s:
        agent = agents.by_name(session=s, name=name)
        if agent is None:
            raise NotFound(f"no agent named {name!r}")
        if agent.revoked_at is None:
            agent.revoked_at = now
            s.add(agent)
            audit.append(session=s, actor="cli", action="agent_revoked", at=now, reason=name)


def authenticate(svc: Services, authorization: str | None) -> AgentIdentity:
    """Turn an `Authorization: Bearer <token>` header into an identity, or raise 401."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("missing bearer token: send 'Authorization: Bearer <token>'")
    with read_scope(svc.engine) as s:
        agent = agents.by_token_hash(session=s, token_hash=hash_token(token.strip()))
    if agent is None:
        raise NotAuthenticated("unknown token")  # not audited: anyone can send one, and must not grow the log
    if agent.revoked_at is not None:
        # A known agent's old token in use (leaked, or a forgotten deployment): worth a trace in the audit log.
        refuse(svc, agent.name, NotAuthenticated(f"token of agent {agent.name!r} was revoked"), attempt="authenticate")
    return AgentIdentity(agent.name, tuple(agent.scopes))  # a row: name, scopes, revoked_at


def require_scope(svc: Services, agent: AgentIdentity, workflow: str, action: str | None, *, attempt: str) -> None:
    """Raise 403 (audited) unless the agent's scopes cover this workflow/action."""
    if not agent.may_propose(workflow, action):
        target = f"{workflow}:{action}" if action else workflow
        error = NotAuthorized(f"agent {agent.name!r} has no scope for {target} (scopes: {', '.join(agent.scopes)})")
        refuse(svc, agent.name, error, attempt=attempt, target=target)


def refuse(svc: Services, agent: str, error: CountersignError, *, attempt: str, **data: str) -> NoReturn:
    """Record a known agent's refused attempt in the audit log, then raise it."""
    with session_scope(svc.engine) as s:
        audit.refused(session=s, actor=f"agent:{agent}", attempt=attempt, error=error, at=svc.clock.now(), **data)
    raise error
