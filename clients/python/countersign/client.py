"""Countersign (blocking) and AsyncCountersign: the agent API as typed methods over httpx."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from types import TracebackType
from typing import Any, Self

import httpx

from countersign import calls
from countersign.calls import Call, Plan, Retry
from countersign.errors import ConnectionFailed
from countersign.models import Proposal

DEFAULT_TIMEOUT = 10.0
DEFAULT_POLL = 30.0


def _user_agent() -> str:
    for dist in ("countersign-client", "countersign"):  # alone, or inside the server's distribution
        try:
            return f"countersign-python/{version(dist)}"
        except PackageNotFoundError:
            continue
    return "countersign-python"


def _body(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


class _Calls:
    """The plans behind each method, shared by both clients."""

    retry: Retry

    def _propose(
        self,
        workflow: str,
        action: str,
        summary: str,
        payload: Any,
        *,
        idempotency_key: str | None,
        requested_by: str | None,
        thread: dict[str, str] | None,
        links: Sequence[dict[str, str]] | None,
        callback_url: str | None,
    ) -> Plan[Proposal]:
        # One key per logical proposal, reused by every retry: a response lost in transit can never create a second.
        body = _body(
            workflow=workflow,
            action=action,
            summary=summary,
            payload=payload,
            idempotency_key=idempotency_key or str(uuid.uuid4()),
            requested_by=requested_by,
            thread=thread,
            links=list(links) if links is not None else None,
            callback_url=callback_url,
        )
        body.setdefault("payload", None)
        return calls.retried(Call("POST", "/api/v1/proposals", json=body), self.retry)

    def _handoff(
        self,
        workflow: str,
        summary: str,
        payload: Any,
        *,
        idempotency_key: str | None,
        requested_by: str | None,
        thread: dict[str, str] | None,
        links: Sequence[dict[str, str]] | None,
        callback_url: str | None,
    ) -> Plan[Proposal]:
        body = _body(
            workflow=workflow,
            summary=summary,
            payload=payload,
            idempotency_key=idempotency_key or str(uuid.uuid4()),
            requested_by=requested_by,
            thread=thread,
            links=list(links) if links is not None else None,
            callback_url=callback_url,
        )
        return calls.retried(Call("POST", "/api/v1/handoffs", json=body), self.retry)

    def _get(self, proposal_id: str) -> Plan[Proposal]:
        return calls.retried(Call("GET", f"/api/v1/proposals/{proposal_id}"), self.retry)

    def _wait(self, proposal_id: str, timeout: float | None, poll: float) -> Plan[Proposal]:
        return calls.wait(proposal_id, timeout=timeout, poll=poll, retry=self.retry)

    def _cancel(self, proposal_id: str) -> Plan[Proposal]:
        return calls.once(Call("POST", f"/api/v1/proposals/{proposal_id}/cancel"))

    def _result(self, proposal_id: str, ok: bool, result: Any, error: str | None) -> Plan[Proposal]:
        body = {"ok": ok, "result": result, **({"error": error} if error is not None else {})}
        return calls.once(Call("POST", f"/api/v1/proposals/{proposal_id}/result", json=body))

    def _request_args(self, call: Call) -> dict[str, Any]:
        timeout = httpx.Timeout(self.timeout, read=self.timeout + call.long_poll)
        return {"json": call.json, "params": call.params, "timeout": timeout}

    timeout: float


class Countersign(_Calls):
    """Blocking client: `Countersign(url, token).propose(...)`; use as a context manager to close connections."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        retry: Retry | None = None,
    ) -> None:
        self.url, self.timeout, self.retry = url.rstrip("/"), timeout, retry or Retry()
        self._http = httpx.Client(
            base_url=self.url,
            transport=transport,
            headers={"Authorization": f"Bearer {token}", "User-Agent": _user_agent()},
        )

    def _send(self, call: Call) -> httpx.Response:
        try:
            return self._http.request(call.method, call.path, **self._request_args(call))
        except httpx.TransportError as exc:
            raise ConnectionFailed(f"{call.method} {self.url}{call.path}: {type(exc).__name__}: {exc}") from exc

    def _run(self, plan: Plan[Proposal]) -> Proposal:
        return calls.run_sync(plan, self._send)

    def propose(
        self,
        workflow: str,
        action: str,
        summary: str,
        payload: Any,
        *,
        idempotency_key: str | None = None,
        requested_by: str | None = None,
        thread: dict[str, str] | None = None,
        links: Sequence[dict[str, str]] | None = None,
        callback_url: str | None = None,
    ) -> Proposal:
        """Propose an action; retried on connection errors and 503 with the same idempotency key."""
        return self._run(
            self._propose(
                workflow,
                action,
                summary,
                payload,
                idempotency_key=idempotency_key,
                requested_by=requested_by,
                thread=thread,
                links=links,
                callback_url=callback_url,
            )
        )

    def handoff(
        self,
        workflow: str,
        summary: str,
        payload: Any = None,
        *,
        idempotency_key: str | None = None,
        requested_by: str | None = None,
        thread: dict[str, str] | None = None,
        links: Sequence[dict[str, str]] | None = None,
        callback_url: str | None = None,
    ) -> Proposal:
        """Hand a case to humans (posted with a Take-it button); wait() tells when someone took it."""
        return self._run(
            self._handoff(
                workflow,
                summary,
                payload,
                idempotency_key=idempotency_key,
                requested_by=requested_by,
                thread=thread,
                links=links,
                callback_url=callback_url,
            )
        )

    def get(self, proposal_id: str) -> Proposal:
        """Current state of one of this agent's proposals."""
        return self._run(self._get(proposal_id))

    def wait(self, proposal_id: str, *, timeout: float | None = None, poll: float = DEFAULT_POLL) -> Proposal:
        """Block until a final decision, or `timeout` seconds (None: no limit); returns the state either way."""
        return self._run(self._wait(proposal_id, timeout, poll))

    def cancel(self, proposal_id: str) -> Proposal:
        """Withdraw a pending proposal (Conflict once it is decided)."""
        return self._run(self._cancel(proposal_id))

    def report_result(self, proposal_id: str, ok: bool, result: Any = None, error: str | None = None) -> Proposal:
        """Report how the agent's own execution went (`connector: callback` actions)."""
        return self._run(self._result(proposal_id, ok, result, error))

    def close(self) -> None:
        """Close pooled connections."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncCountersign(_Calls):
    """asyncio client with the same methods as Countersign, as coroutines."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: Retry | None = None,
    ) -> None:
        self.url, self.timeout, self.retry = url.rstrip("/"), timeout, retry or Retry()
        self._http = httpx.AsyncClient(
            base_url=self.url,
            transport=transport,
            headers={"Authorization": f"Bearer {token}", "User-Agent": _user_agent()},
        )

    async def _send(self, call: Call) -> httpx.Response:
        try:
            return await self._http.request(call.method, call.path, **self._request_args(call))
        except httpx.TransportError as exc:
            raise ConnectionFailed(f"{call.method} {self.url}{call.path}: {type(exc).__name__}: {exc}") from exc

    async def _run(self, plan: Plan[Proposal]) -> Proposal:
        return await calls.run_async(plan, self._send)

    async def propose(
        self,
        workflow: str,
        action: str,
        summary: str,
        payload: Any,
        *,
        idempotency_key: str | None = None,
        requested_by: str | None = None,
        thread: dict[str, str] | None = None,
        links: Sequence[dict[str, str]] | None = None,
        callback_url: str | None = None,
    ) -> Proposal:
        """Propose an action; retried on connection errors and 503 with the same idempotency key."""
        return await self._run(
            self._propose(
                workflow,
                action,
                summary,
                payload,
                idempotency_key=idempotency_key,
                requested_by=requested_by,
                thread=thread,
                links=links,
                callback_url=callback_url,
            )
        )

    async def handoff(
        self,
        workflow: str,
        summary: str,
        payload: Any = None,
        *,
        idempotency_key: str | None = None,
        requested_by: str | None = None,
        thread: dict[str, str] | None = None,
        links: Sequence[dict[str, str]] | None = None,
        callback_url: str | None = None,
    ) -> Proposal:
        """Hand a case to humans (posted with a Take-it button); wait() tells when someone took it."""
        return await self._run(
            self._handoff(
                workflow,
                summary,
                payload,
                idempotency_key=idempotency_key,
                requested_by=requested_by,
                thread=thread,
                links=links,
                callback_url=callback_url,
            )
        )

    async def get(self, proposal_id: str) -> Proposal:
        """Current state of one of this agent's proposals."""
        return await self._run(self._get(proposal_id))

    async def wait(self, proposal_id: str, *, timeout: float | None = None, poll: float = DEFAULT_POLL) -> Proposal:
        """Wait until a final decision, or `timeout` seconds (None: no limit); returns the state either way."""
        return await self._run(self._wait(proposal_id, timeout, poll))

    async def cancel(self, proposal_id: str) -> Proposal:
        """Withdraw a pending proposal (Conflict once it is decided)."""
        return await self._run(self._cancel(proposal_id))

    async def report_result(self, proposal_id: str, ok: bool, result: Any = None, error: str | None = None) -> Proposal:
        """Report how the agent's own execution went (`connector: callback` actions)."""
        return await self._run(self._result(proposal_id, ok, result, error))

    async def aclose(self) -> None:
        """Close pooled connections."""
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
