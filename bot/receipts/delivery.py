"""Attach a proposal's receipt to what is sent on its behalf (the Countersign-Receipt header)."""

from __future__ import annotations

from collections.abc import Callable

from bot.flow.context import Services
from bot.receipts.issue import stored
from bot.store.db import read_scope
from connectors.base import current_receipt
from connectors.verify import encode_receipt_header


def header(svc: Services, proposal_id: str) -> str | None:
    """The Countersign-Receipt header value for a decided proposal (None while pending)."""
    with read_scope(svc.engine) as s:
        receipt = stored(s, proposal_id)
    return encode_receipt_header(receipt) if receipt is not None else None


def with_receipt(svc: Services, proposal_id: str, run: Callable[..., None]) -> None:
    """Run an execution with its receipt visible to the connector (connectors.base.current_receipt)."""
    token = current_receipt.set(header(svc, proposal_id))
    try:
        run(svc, proposal_id=proposal_id)
    finally:
        current_receipt.reset(token)
