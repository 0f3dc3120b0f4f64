"""The receipt public key: what a downstream system needs to check a Countersign decision offline."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from bot.api.deps import ServicesDep
from bot.receipts.keys import service_key

router = APIRouter(prefix="/api/v1/receipts", tags=["receipts"])


class ReceiptKey(BaseModel):
    algorithm: str
    key_id: str  # first 16 hex digits of SHA-256 of the raw public key; every receipt names it
    public_key: str  # raw 32-byte Ed25519 public key, base64url without padding
    public_key_pem: str


@router.get("/key", response_model=ReceiptKey)
async def receipt_key(svc: ServicesDep) -> ReceiptKey:
    """The Ed25519 public key that signs decision receipts (no token needed: it is public)."""
    key = await run_in_threadpool(service_key, svc)
    return ReceiptKey(**key.describe())
