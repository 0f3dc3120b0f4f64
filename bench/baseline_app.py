"""The baseline for the intake benchmark: a bare FastAPI endpoint that inserts the same JSON row."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import uuid
from typing import Any

from fastapi import Body, FastAPI
from fastapi.responses import JSONResponse

_local = threading.local()


def _sqlite() -> sqlite3.Connection:
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(
            os.environ["BENCH_BASELINE_DB"].removeprefix("sqlite:///"), timeout=30, isolation_level=None
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        _local.conn = conn
    return conn


def _postgres() -> Any:
    conn = getattr(_local, "conn", None)
    if conn is None:
        import psycopg

        conn = psycopg.connect(
            os.environ["BENCH_BASELINE_DB"].replace("postgresql+psycopg://", "postgresql://"), autocommit=True
        )
        _local.conn = conn
    return conn


def create_app() -> FastAPI:
    """POST /proposals stores the JSON body and echoes it with an id; nothing else."""
    app = FastAPI()
    postgres = os.environ["BENCH_BASELINE_DB"].startswith("postgresql")
    # The table is created once here: concurrent CREATE TABLE IF NOT EXISTS from the worker threads can collide.
    if postgres:
        _postgres().execute("CREATE TABLE IF NOT EXISTS bench_proposal (id TEXT PRIMARY KEY, body TEXT NOT NULL)")
    else:
        _sqlite().execute("CREATE TABLE IF NOT EXISTS proposal (id TEXT PRIMARY KEY, body TEXT NOT NULL)")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/proposals", status_code=201)
    def create(body: dict[str, Any] = Body(...)) -> JSONResponse:
        row_id = str(uuid.uuid4())
        if postgres:
            _postgres().execute("INSERT INTO bench_proposal (id, body) VALUES (%s, %s)", (row_id, json.dumps(body)))
        else:
            _sqlite().execute("INSERT INTO proposal (id, body) VALUES (?, ?)", (row_id, json.dumps(body)))
        return JSONResponse({"id": row_id, **body}, status_code=201)

    return app
