"""The migrations build exactly the schema the models describe, and tear it down again."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Enum, inspect

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


def _allowed_values(connection: Connection) -> dict[str, str]:
    """Each CHECK constraint of the database by name, with its SQL."""
    inspector = inspect(connection)
    return {
        constraint["name"]: constraint["sqltext"]
        for table in inspector.get_table_names()
        for constraint in inspector.get_check_constraints(table)
    }


async def test_the_database_accepts_every_value_the_models_allow(database: Database) -> None:
    # Autogenerate does not compare CHECK constraints: a value added to an enum needs a
    # migration of its own, which this notices when it is missing.
    async with database.engine.connect() as connection:
        checks = await connection.run_sync(_allowed_values)
    enums = [
        (table.name, column.type)
        for table in Base.metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, Enum)
    ]
    assert enums
    for table, enum in enums:
        sql = checks[f"ck_{table}_{enum.name}"]
        for value in enum.enums:
            assert f"'{value}'" in sql, (table, value)


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
    expected.add("ix_accounts_external_id_folded")
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


async def test_going_back_before_the_aging_cause_keeps_aged_scores_as_system_rescores(
    database_url: str,
) -> None:
    await migrate.upgrade_async(database_url)
    database = Database(database_url)
    try:
        async with database.engine.begin() as connection:
            await connection.exec_driver_sql(
                "INSERT INTO accounts (id, name, aliases, lifecycle_stage, facts, sub_scores, "
                "created_at, updated_at, version) VALUES (1, 'Kovira', '[]', 'prospect', '{}', "
                "'{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"
            )
            await connection.exec_driver_sql(
                "INSERT INTO score_history (account_id, scored_at, score, sub_scores, tier, "
                "model_name, model_version, cause) VALUES "
                "(1, CURRENT_TIMESTAMP, 71.0, '{}', 'B', 'default', 1, 'aging')"
            )
    finally:
        await database.dispose()

    await asyncio.to_thread(migrate.downgrade, database_url, "0003")

    database = Database(database_url)
    try:
        async with database.engine.connect() as connection:
            causes = await connection.exec_driver_sql("SELECT cause FROM score_history")
            assert causes.all() == [("model_change",)]
    finally:
        await database.dispose()
