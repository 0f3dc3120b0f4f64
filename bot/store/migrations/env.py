"""Alembic environment: always run with a connection handed in by bot.store.migrate."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import bot.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)

target_metadata = SQLModel.metadata
connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `countersign migrate` (bot.store.migrate.upgrade)")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite needs table rebuilds for ALTERs
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
