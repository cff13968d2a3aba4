"""The migrations build exactly the schema the models describe, and tear it down again."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect

from bot.store import migrate
from bot.store.db import Database
from bot.store.tables import Base


def _differences(connection: Connection, *, hook: bool = True) -> list[Any]:
    options: dict[str, Any] = {"compare_type": True}
    if hook:
        options["include_object"] = migrate.include_object
    return list(
        compare_metadata(MigrationContext.configure(connection, opts=options), Base.metadata)
    )


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_migrations_and_models_agree(database: Database) -> None:
    async with database.engine.connect() as connection:
        assert await connection.run_sync(_differences) == []


async def test_only_the_name_search_objects_are_hidden_from_autogenerate(
    database: Database,
) -> None:
    async with database.engine.connect() as connection:
        unfiltered = await connection.run_sync(lambda sync: _differences(sync, hook=False))
    if database.dialect == "sqlite":
        fts_parts = ("data", "idx", "content", "docsize", "config")
        expected = {"account_names"} | {f"account_names_{part}" for part in fts_parts}
    else:
        expected = {"ix_accounts_name_trgm", "ix_accounts_aliases_trgm", "ix_accounts_names_by_id"}
    assert {kind for kind, _ in unfiltered} <= {"remove_table", "remove_index"}
    assert {found.name for _, found in unfiltered} == expected


async def test_downgrade_to_base_removes_everything_and_upgrade_starts_over(
    database_url: str,
) -> None:
    assert await asyncio.to_thread(migrate.current, database_url) is None
    await migrate.upgrade_async(database_url)
    assert await asyncio.to_thread(migrate.current, database_url) == migrate.head()

    await asyncio.to_thread(migrate.downgrade, database_url, "base")

    assert await asyncio.to_thread(migrate.current, database_url) is None
    database = Database(database_url)
    try:
        async with database.engine.connect() as connection:
            # Alembic keeps its own bookkeeping table; everything else must be gone.
            assert await connection.run_sync(_table_names) <= {"alembic_version"}
            if database.dialect == "sqlite":
                leftovers = await connection.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type IN ('trigger', 'index')"
                    " AND name NOT LIKE 'sqlite_autoindex_%'"
                )
            else:
                leftovers = await connection.exec_driver_sql(
                    "SELECT extname FROM pg_extension WHERE extname = 'pg_trgm'"
                )
            assert leftovers.all() == []
    finally:
        await database.dispose()

    await migrate.upgrade_async(database_url)
    assert await asyncio.to_thread(migrate.current, database_url) == migrate.head()


async def test_sync_migration_helpers_refuse_to_block_a_running_event_loop() -> None:
    with pytest.raises(RuntimeError, match="upgrade_async"):
        migrate.upgrade("sqlite://")
