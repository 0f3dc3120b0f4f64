"""Engine and sessions: SQLite (WAL, immediate transactions) or PostgreSQL, same code."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any, cast
from weakref import WeakKeyDictionary

from sqlalchemy import CursorResult, Executable, Table, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session, SQLModel, create_engine

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_OPTION = "countersign_read"
# SQLite has one writer at a time. Queuing this process's writers on a lock is fairer and faster than
# letting them poll SQLite's busy handler, which sleeps in growing steps and stretches tail latency.
_sqlite_write_locks: WeakKeyDictionary[Engine, threading.RLock] = WeakKeyDictionary()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine tuned for this service's access pattern on either database."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
        )
        _tune_sqlite(engine)
        _sqlite_write_locks[engine] = threading.RLock()
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_timeout", 5)
    # A short connect timeout turns a database outage into a quick 503 instead of a hung request.
    return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 3}, **kwargs)


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take over transaction control from pysqlite so we can BEGIN IMMEDIATE below.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers take the write lock up front instead of failing with SQLITE_BUSY_SNAPSHOT mid-transaction;
        # read-only scopes use a plain (deferred) BEGIN so they never wait for writers (WAL).
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ_OPTION) else "BEGIN IMMEDIATE")


def is_postgres(engine_or_session: Engine | Session) -> bool:
    """True on PostgreSQL (row locks and SKIP LOCKED available)."""
    bind = engine_or_session.get_bind() if isinstance(engine_or_session, Session) else engine_or_session
    return bind.dialect.name == "postgresql"


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One write transaction: commit on success, roll back on any exception."""
    with _sqlite_write_locks.get(engine) or nullcontext(), Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def read_scope(engine: Engine) -> Iterator[Session]:
    """A read-only transaction: a consistent snapshot that never waits for writers on SQLite."""
    # Closing (not rolling back) ends the transaction without expiring what was loaded.
    reader = getattr(engine, "_countersign_reader", None)  # built once per engine: every API request reads
    if reader is None:
        reader = engine.execution_options(**{READ_OPTION: True})
        engine._countersign_reader = reader  # type: ignore[attr-defined]
    with Session(reader, expire_on_commit=False) as session:
        yield session


def ping(engine: Engine) -> None:
    """Raise if the database cannot answer a trivial query."""
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))


def is_unavailable(exc: BaseException) -> bool:
    """True for errors that mean 'the database is down, unreachable or busy', not 'the query is wrong'."""
    if isinstance(exc, PoolTimeout | OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def changed_rows(session: Session, stmt: Executable) -> int:
    """How many rows an UPDATE or DELETE changed (the conditional updates use it to tell who won a race)."""
    result = session.execute(stmt)
    return cast(CursorResult[Any], result).rowcount  # DML always answers with a CursorResult


def table(model: type[SQLModel]) -> Table:
    """The Core table behind a SQLModel class, for the hot paths that skip the ORM."""
    return SQLModel.metadata.tables[str(model.__tablename__)]
