"""The service's Ed25519 receipt key: created on first start, kept in the database or in COUNTERSIGN_SIGNING_KEY."""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.errors import ConfigError
from bot.receipts.canonical import canonical_json
from bot.store.db import read_scope, session_scope
from bot.store.models import SigningKey
from connectors.verify import b64url_encode, key_id

_lock = threading.Lock()


@dataclass(frozen=True)
class ServiceKey:
    """The private key and what a verifier needs to know about its public half."""

    private: Ed25519PrivateKey

    @property
    def public_raw(self) -> bytes:
        return self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def key_id(self) -> str:
        return key_id(self.public_raw)

    @property
    def public_pem(self) -> str:
        return self.private.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()

    def describe(self) -> dict[str, str]:
        """The public key as served at GET /api/v1/receipts/key and printed by `countersign receipts key`."""
        return {
            "algorithm": "Ed25519",
            "key_id": self.key_id,
            "public_key": b64url_encode(self.public_raw),
            "public_key_pem": self.public_pem,
        }

    def sign(self, body: dict[str, Any]) -> dict[str, Any]:
        """The receipt: {body, signature over the body's RFC 8785 bytes, key_id}."""
        signature = b64url_encode(self.private.sign(canonical_json(body)))
        return {"body": body, "signature": signature, "key_id": self.key_id}


def _pem(private: Ed25519PrivateKey) -> bytes:
    return private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


def _parse(pem: bytes, where: str) -> ServiceKey:
    try:
        private = load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{where}: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise ConfigError(f"{where}: the key is {type(private).__name__}, receipts need an Ed25519 key")
    return ServiceKey(private)


def from_file(path: Path) -> ServiceKey:
    """Read the key file, or create it (mode 0600) if it does not exist yet; a concurrent creator wins cleanly."""
    where = f"COUNTERSIGN_SIGNING_KEY ({path})"
    if not path.exists():
        # Written whole under a private temporary name, then linked into place: link() fails if another process
        # got there first, and nobody ever reads a half-written key.
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(_pem(Ed25519PrivateKey.generate()))
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        except OSError as exc:
            raise ConfigError(f"{where}: cannot create the key file: {exc.strerror}") from None
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
    try:
        return _parse(path.read_bytes(), where)
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read the key file: {exc.strerror}") from None


def from_database(engine: Engine, clock: Clock | None = None) -> ServiceKey:
    """The key stored in the database, created by whichever replica gets there first."""
    with read_scope(engine) as s:
        row = s.get(SigningKey, 1)
        if row is not None:
            return _parse(row.private_key.encode(), "the signingkey table")
    fresh = ServiceKey(Ed25519PrivateKey.generate())
    try:
        with session_scope(engine) as s:
            now = (clock or SystemClock()).now()
            s.add(SigningKey(id=1, key_id=fresh.key_id, private_key=_pem(fresh.private).decode(), created_at=now))
    except IntegrityError:
        pass  # another replica inserted its key first: use that one
    with read_scope(engine) as s:
        row = s.get(SigningKey, 1)
        assert row is not None
        return _parse(row.private_key.encode(), "the signingkey table")


def load(settings: Settings, engine: Engine, clock: Clock | None = None) -> ServiceKey:
    """The configured key: the COUNTERSIGN_SIGNING_KEY file when set, otherwise the database's."""
    return from_file(settings.signing_key) if settings.signing_key else from_database(engine, clock)


def service_key(svc: Any, session: Session | None = None) -> ServiceKey:
    """The key of this process's Services, loaded once (through `session` when called inside a transaction, so a
    decision never waits for a second connection)."""
    if svc.receipt_key.key is None:
        with _lock:
            if svc.receipt_key.key is None:
                row = session.get(SigningKey, 1) if session is not None and not svc.settings.signing_key else None
                if row is not None:
                    svc.receipt_key.key = _parse(row.private_key.encode(), "the signingkey table")
                else:
                    svc.receipt_key.key = load(svc.settings, svc.engine, svc.clock)
    return svc.receipt_key.key
