"""Database URLs, engines and connection failures."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from bot.store.db import Database, normalize_url
from bot.store.errors import DatabaseUnavailableError
from bot.testing.databases import sqlite_url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@db/tierbot", "postgresql+asyncpg://u@db/tierbot"),
        ("postgres://u@db/tierbot", "postgresql+asyncpg://u@db/tierbot"),
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_urls_without_an_async_driver_get_one(given: str, expected: str) -> None:
    assert normalize_url(given).render_as_string() == expected


def test_other_databases_are_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database"):
        normalize_url("mysql://u@db/tierbot")


async def test_an_unreachable_server_is_named_without_its_password() -> None:
    # Port 1 on the loopback interface refuses connections at once.
    database = Database("postgresql://bot:s3cret@127.0.0.1:1/tierbot")
    try:
        with pytest.raises(DatabaseUnavailableError) as caught:
            await database.ping()
    finally:
        await database.dispose()
    assert "127.0.0.1:1/tierbot" in str(caught.value)
    assert "s3cret" not in str(caught.value)


async def test_sqlite_connections_enforce_foreign_keys_and_use_wal(tmp_path: Path) -> None:
    database = Database(sqlite_url(tmp_path))
    try:
        async with database.engine.connect() as connection:
            assert (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
            assert (await connection.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        await database.dispose()


# Only a server connection can be lost.
@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_lost_connection_raises_unavailable_and_the_next_session_reconnects(
    database: Database,
) -> None:
    async with database.session() as session:
        backend = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with database.engine.connect() as other:
            await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        with pytest.raises(DatabaseUnavailableError):
            await session.execute(text("SELECT 1"))

    async with database.session() as session:
        assert (await session.execute(text("SELECT 1"))).scalar_one() == 1


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_postgresql_connections_never_jit_compile_the_bots_short_queries(
    database: Database,
) -> None:
    async with database.engine.connect() as connection:
        assert (await connection.execute(text("SHOW jit"))).scalar_one() == "off"
