"""Fixtures shared by integration test modules."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from bot.delivery.testing import throwaway_database
from bot.store.db import Database
from bot.store.errors import DatabaseUnavailableError


@pytest_asyncio.fixture(
    scope="module", loop_scope="module",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)  # fmt: skip
async def migrated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    """One migrated database per module and dialect: migrating is most of a fresh one's cost.

    A module using it empties it before each test (see its ``database`` fixture).
    """
    try:
        async with throwaway_database(request.param, tmp_path_factory.mktemp("db")) as database:
            yield database
    except DatabaseUnavailableError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is unreachable: {exc}")
        pytest.skip(f"PostgreSQL is unreachable ({exc}); set TIERBOT_TEST_POSTGRES_URL")
