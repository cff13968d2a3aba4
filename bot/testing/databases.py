"""Throwaway databases for tests: a SQLite file, or a fresh PostgreSQL database."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from bot.store.db import Database, create_engine, normalize_url
from bot.store.migrate import upgrade_async

DEFAULT_TEST_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

# A server that silently drops packets would otherwise stall the run for a minute.
_CONNECT_TIMEOUT_SECONDS = 5


def sqlite_url(directory: Path) -> str:
    """The URL of a SQLite database file in ``directory``."""
    return f"sqlite+aiosqlite:///{directory / 'tierbot.db'}"


@asynccontextmanager
async def temporary_postgres_database(server_url: str | URL) -> AsyncIterator[str]:
    """Create an empty database on the server at ``server_url``; drop it afterwards.

    Yields the new database's URL. Raises DatabaseUnavailableError if the server
    cannot be reached.
    """
    admin = create_engine(
        server_url,
        # CREATE/DROP DATABASE refuse to run inside a transaction.
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
        connect_args={"timeout": _CONNECT_TIMEOUT_SECONDS},
    )
    name = f"tierbot_test_{secrets.token_hex(6)}"
    try:
        async with admin.connect() as connection:
            await connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield normalize_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            async with admin.connect() as connection:
                # FORCE: a test that failed half-way may have left connections open.
                await connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.dispose()


@asynccontextmanager
async def migrated_database(url: str | URL) -> AsyncIterator[Database]:
    """A :class:`Database` for ``url`` after migrating it to the newest revision."""
    await upgrade_async(url)
    database = Database(url)
    try:
        yield database
    finally:
        await database.dispose()
