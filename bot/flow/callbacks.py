"""Deliver final states to the agent's callback_url, HMAC-signed like the webhook connector, with retries."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import urlsplit

import httpx
import structlog

from bot import targets
from bot.flow.context import Services
from bot.flow.outbox import GiveUp, Retry, backoff
from bot.flow.public import load_public
from bot.store import agents, proposals
from bot.store.db import read_scope
from connectors.verify import RECEIPT_HEADER, encode_receipt_header

TIMEOUT_SECONDS = 10.0
log = structlog.get_logger(__name__)


def sign(key: str, timestamp: str, body: bytes) -> str:
    """`v1=` + hex HMAC-SHA256 over "v1:<timestamp>:<body>" (same scheme as the webhook connector)."""
    mac = hmac.new(key.encode(), b"v1:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def deliver(svc: Services, *, proposal_id: str, event: str, attempt: int) -> None:
    """POST {event, proposal} to the callback URL; 2xx is done, 4xx gives up, anything else retries."""
    with read_scope(svc.engine) as s:
        view = load_public(s, proposal_id)
        if view is None:
            return
        row = proposals.get(session=s, proposal_id=proposal_id)
        agent = agents.by_name(session=s, name=row.agent) if row else None
    if row is None or not row.callback_url:
        return
    if agent is None:
        raise GiveUp(f"agent {row.agent!r} no longer exists: no key to sign the callback with")
    body = json.dumps({"event": event, "proposal": view.model_dump(mode="json")}, separators=(",", ":")).encode()
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": f"{proposal_id}:{event}",
        "X-Countersign-Timestamp": ts,
        "X-Countersign-Signature": sign(agent.token_hash, ts, body),
    }
    host = urlsplit(row.callback_url).hostname or "?"
    if view.receipt is not None:
        headers[RECEIPT_HEADER] = encode_receipt_header(view.receipt)
    try:
        with targets.client(svc.settings.targets, timeout=TIMEOUT_SECONDS) as client:
            resp = client.post(row.callback_url, content=body, headers=headers)
    except targets.TargetRefused as exc:
        log.warning("callback refused", proposal=proposal_id, host=host, reason=str(exc))
        raise GiveUp(f"callback_url {exc}") from None
    except httpx.HTTPError as exc:
        # The agent sees a fixed reason: socket errors would tell it what listens where. Operators get the detail.
        log.warning("callback failed", proposal=proposal_id, host=host, error=f"{type(exc).__name__}: {exc}")
        reason = "timed out" if isinstance(exc, httpx.TimeoutException) else "could not be delivered (no answer)"
        raise Retry(f"callback {reason}", backoff(attempt, base=10)) from None
    if resp.is_success:
        return
    log.warning(
        "callback answered an error", proposal=proposal_id, host=host, status=resp.status_code, body=resp.text[:300]
    )
    detail = f"callback answered {resp.status_code} {targets.status_phrase(resp.status_code)}"
    if resp.status_code == 429 or resp.status_code >= 500:
        raise Retry(detail, backoff(attempt, base=10))
    raise GiveUp(detail)
