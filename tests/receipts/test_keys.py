"""The service key: one per database (replicas racing on first start agree), or the COUNTERSIGN_SIGNING_KEY file."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bot.config import Settings
from bot.errors import ConfigError
from bot.receipts import keys
from bot.store import migrate
from bot.store.db import make_engine


def _start_replica(url: str, barrier: threading.Barrier, found: list[str]) -> None:
    engine = make_engine(url)
    try:
        barrier.wait()
        migrate.upgrade(engine)
        found.append(keys.load(Settings(_env_file=None, database_url=url), engine).key_id)
    finally:
        engine.dispose()


@pytest.mark.parametrize("replicas", [4])
def test_replicas_starting_together_on_one_database_agree_on_one_key(db_url: str, replicas: int) -> None:
    barrier, found = threading.Barrier(replicas), []
    threads = [threading.Thread(target=_start_replica, args=(db_url, barrier, found)) for _ in range(replicas)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(found) == replicas
    assert len(set(found)) == 1


def test_the_key_survives_a_restart(db_url: str) -> None:
    first, second = make_engine(db_url), make_engine(db_url)
    settings = Settings(_env_file=None, database_url=db_url)
    migrate.upgrade(first)
    before = keys.load(settings, first).key_id
    migrate.upgrade(second)
    assert keys.load(settings, second).key_id == before
    first.dispose()
    second.dispose()


def test_a_key_file_is_created_private_and_then_reused(tmp_path: Path) -> None:
    path = tmp_path / "receipts.pem"
    made = keys.from_file(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert keys.from_file(path).key_id == made.key_id


def test_processes_creating_the_key_file_together_get_one_key(tmp_path: Path) -> None:
    path, barrier, found = tmp_path / "receipts.pem", threading.Barrier(6), []

    def start() -> None:
        barrier.wait()
        found.append(keys.from_file(path).key_id)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(found) == 6
    assert len(set(found)) == 1


def test_a_key_file_that_is_not_an_ed25519_key_stops_start_up(tmp_path: Path) -> None:
    path = tmp_path / "receipts.pem"
    path.write_text("hello\n")
    with pytest.raises(ConfigError, match=r"COUNTERSIGN_SIGNING_KEY \(.*receipts.pem\): not an unencrypted PEM"):
        keys.from_file(path)


def test_the_file_takes_precedence_over_the_database(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    path = tmp_path / "receipts.pem"
    from_db = keys.load(Settings(_env_file=None, database_url=db_url), engine)
    from_file = keys.load(Settings(_env_file=None, database_url=db_url, signing_key=path), engine)
    assert from_file.key_id == keys.from_file(path).key_id
    assert from_file.key_id != from_db.key_id
    engine.dispose()
