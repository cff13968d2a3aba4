"""Run the Alembic migrations in ``migrations/`` without an alembic.ini.

The synchronous functions start their own event loop (the migration environment
uses the async drivers), so call them from plain code such as the CLI; from
async code use :func:`upgrade_async`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from bot.paths import migrations_dir
from bot.store.db import create_engine, normalize_url
from bot.store.search import (
    EXTERNAL_ID_INDEX,
    POSTGRES_NAMES_BY_ID_INDEX,
    POSTGRES_TRIGRAM_INDEXES,
    SQLITE_FTS_TABLE,
)

# FTS5 keeps its data in shadow tables named after the virtual table.
_SQLITE_FTS_TABLES = frozenset(
    [SQLITE_FTS_TABLE]
    + [f"{SQLITE_FTS_TABLE}_{part}" for part in ("data", "idx", "content", "docsize", "config")]
)


def migrations_directory() -> Path:
    """The Alembic ``migrations`` directory: the repository's, or the wheel's copy."""
    return migrations_dir()


def alembic_config(url: str | URL | None = None) -> Config:
    """An Alembic configuration for ``url``, built in code (no URL: scripts only)."""
    config = Config()
    config.set_main_option("script_location", str(migrations_directory()))
    config.set_main_option("path_separator", "os")
    if url is not None:
        # Handed over as an object, not an ini option: ini interpolation would
        # mangle the %-escapes in URL-encoded passwords.
        config.attributes["url"] = normalize_url(url)
    return config


def upgrade(url: str | URL, revision: str = "head") -> None:
    """Migrate the database at ``url`` up to ``revision``."""
    _refuse_inside_event_loop("upgrade")
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | URL, revision: str) -> None:
    """Migrate the database at ``url`` down to ``revision`` ("base" removes everything)."""
    _refuse_inside_event_loop("downgrade")
    command.downgrade(alembic_config(url), revision)


def current(url: str | URL) -> str | None:
    """The revision the database at ``url`` is at, or None before the first migration."""
    _refuse_inside_event_loop("current")
    return asyncio.run(_current_revision(url))


def head() -> str | None:
    """The newest revision in ``migrations/``."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def upgrade_async(url: str | URL, revision: str = "head") -> None:
    """:func:`upgrade` for async callers; runs in a worker thread with its own event loop."""
    await asyncio.to_thread(upgrade, url, revision)


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic hook: leave the name-search objects out of autogenerate.

    The migrations create them by hand because they differ between SQLite and
    PostgreSQL, or index an expression, so they have no counterpart in the models to
    compare with.
    """
    if type_ == "table" and name is not None:
        return name not in _SQLITE_FTS_TABLES
    if type_ == "index":
        return name not in (
            *POSTGRES_TRIGRAM_INDEXES,
            POSTGRES_NAMES_BY_ID_INDEX,
            EXTERNAL_ID_INDEX,
        )
    return True


async def _current_revision(url: str | URL) -> str | None:
    engine = create_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    finally:
        await engine.dispose()


def _refuse_inside_event_loop(name: str) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError(f"{name}() cannot run inside an event loop; use upgrade_async()")
