"""An MCP server so any MCP client (Claude Desktop, IDE agents...) can ask people for approval through Countersign.

Two tools: `request_approval` proposes an action and waits a little; `get_decision` waits again later. Neither
executes anything: the MCP client acts only when the answer says `approved`, with the payload it returns.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from countersign.client import AsyncCountersign
from countersign.errors import CountersignError
from countersign.models import Proposal
from countersign.outcomes import explain

MAX_WAIT_SECONDS = 300.0  # MCP clients time tool calls out; a longer wait belongs in another get_decision call
INSTRUCTIONS = (
    "Before an action that needs a person's sign-off (sending money, emails to customers, changing records), call "
    "request_approval with the workflow and action names your operator gave you and the exact arguments. Act only if "
    "the answer has approved=true, and then with the returned payload: people may have edited it. If the status is "
    "pending, call get_decision later with the proposal_id. Rejected, denied and expired mean do not do it."
)


class Decision(BaseModel):
    """Where a proposal stands, as the tools return it."""

    proposal_id: str
    status: str = Field(description="pending, approved, auto_approved, rejected, denied, expired or cancelled")
    decided: bool = Field(description="false while people have not decided yet")
    approved: bool = Field(description="true only when the action may be done now")
    payload: Any = Field(description="the arguments to act with (people may have edited them)")
    edited: bool
    decided_by: str | None
    reason: str | None = Field(description="the rejecter's reason, the policy's reason, or why it expired")
    message: str = Field(description="one sentence saying what to do next")
    slack_permalink: str | None
    expires_at: str | None


def decision(p: Proposal) -> Decision:
    """The tool answer for a proposal."""
    return Decision(
        proposal_id=p.id,
        status=p.status,
        decided=p.is_final,
        approved=p.approved and p.mode == "live",
        payload=p.payload,
        edited=p.edited,
        decided_by=p.decided_by,
        reason=p.decision_reason or p.reason or None,
        message=explain(p),
        slack_permalink=p.slack.permalink,
        expires_at=p.expires_at.isoformat() if p.expires_at else None,
    )


def _seconds(value: float) -> float:
    return max(0.0, min(float(value), MAX_WAIT_SECONDS))


def build_server(client: AsyncCountersign, *, name: str = "countersign") -> MCPServer:
    """An MCPServer exposing request_approval and get_decision over `client`."""
    server = MCPServer(name, instructions=INSTRUCTIONS)

    @server.tool()
    async def request_approval(
        workflow: str,
        action: str,
        summary: str,
        payload: dict[str, Any],
        wait_seconds: float = 30,
        idempotency_key: str | None = None,
    ) -> Decision:
        """Ask people to approve an action before you do it, and wait up to wait_seconds for their decision.

        workflow and action name the policy (e.g. refunds / issue_refund); summary is one line people read;
        payload holds the exact arguments. Pass the same idempotency_key when retrying the same request.
        """
        try:
            p = await client.propose(workflow, action, summary, payload, idempotency_key=idempotency_key)
            if not p.is_final and _seconds(wait_seconds) > 0:
                p = await client.wait(p.id, timeout=_seconds(wait_seconds), poll=_seconds(wait_seconds))
        except CountersignError as exc:
            raise ToolError(_error_text(exc)) from None
        return decision(p)

    @server.tool()
    async def get_decision(proposal_id: str, wait_seconds: float = 30) -> Decision:
        """Look up a proposal's decision, waiting up to wait_seconds while it is still pending."""
        try:
            p = await client.wait(proposal_id, timeout=_seconds(wait_seconds), poll=_seconds(wait_seconds) or 1)
        except CountersignError as exc:
            raise ToolError(_error_text(exc)) from None
        return decision(p)

    return server


def _error_text(exc: CountersignError) -> str:
    """The service's own message, plus each field error for a 422, so the model can correct its call."""
    fields = "; ".join(f"{'.'.join(map(str, e.get('loc', [])))}: {e.get('msg')}" for e in exc.body.get("errors") or [])
    return f"{exc} ({fields})" if fields else str(exc)
