"""Database fixtures: every storage test runs once on SQLite and once on PostgreSQL.

PostgreSQL tests use the server at TIERBOT_TEST_POSTGRES_URL (default: local,
user postgres) and are skipped when it is unreachable, except on CI (CI=true),
where a missing server must not pass silently.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from bot.store.db import Database
from bot.store.errors import DatabaseUnavailableError
from bot.testing.databases import (
    DEFAULT_TEST_POSTGRES_URL,
    migrated_database,
    sqlite_url,
    temporary_postgres_database,
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of a new, empty database (not migrated)."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    server_url = os.environ.get("TIERBOT_TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES_URL)
    async with AsyncExitStack() as stack:
        try:
            url = await stack.enter_async_context(temporary_postgres_database(server_url))
        except DatabaseUnavailableError as exc:
            reason = f"PostgreSQL is unreachable ({exc}); set TIERBOT_TEST_POSTGRES_URL"
            if os.environ.get("CI") == "true":
                pytest.fail(reason)
            pytest.skip(reason)
        yield url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A migrated database, on each of SQLite and PostgreSQL."""
    async with migrated_database(database_url) as database:
        yield database
