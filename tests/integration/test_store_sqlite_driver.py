"""SQLite connections that make one trip to their thread per statement, and lose nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import column, func, select, table, text
from sqlalchemy.exc import OperationalError

from bot.store import sqlite_driver
from bot.store.db import SQLITE_POOL_SIZE, Database
from bot.testing.databases import sqlite_url

MANY = 2 * sqlite_driver.PREFETCH + 3  # more rows than the first trip fetches
NUMBERS = table("numbers", column("n"))


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(sqlite_url(tmp_path))
    async with database.engine.begin() as connection:
        await connection.execute(text("CREATE TABLE numbers (n INTEGER PRIMARY KEY)"))
        await connection.execute(
            text("INSERT INTO numbers (n) VALUES (:n)"), [{"n": n} for n in range(MANY)]
        )
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of each function sent to a connection's thread."""
    sent: list[str] = []
    run = sqlite_driver.Connection._execute

    async def counted(self: sqlite_driver.Connection, fn: Callable[..., Any], *args: Any) -> Any:
        sent.append(getattr(fn, "__name__", repr(fn)))
        return await run(self, fn, *args)

    monkeypatch.setattr(sqlite_driver.Connection, "_execute", counted)
    return sent


async def test_a_session_that_reads_one_row_makes_one_trip(
    database: Database, trips: list[str]
) -> None:
    async with database.session() as session:
        assert (await session.execute(text("SELECT n FROM numbers WHERE n = 7"))).scalar() == 7
    assert trips == ["_run"]


async def test_every_row_arrives_past_the_first_trip_buffered_or_streamed(
    database: Database,
) -> None:
    async with database.session() as session:
        rows = (await session.execute(text("SELECT n FROM numbers ORDER BY n"))).all()
    async with database.engine.connect() as connection:
        streamed = [row.n async for row in await connection.stream(text("SELECT n FROM numbers"))]
    assert [row.n for row in rows] == sorted(streamed) == list(range(MANY))


async def test_writes_still_commit_and_roll_back(database: Database) -> None:
    async with database.session() as session:
        await session.execute(text("DELETE FROM numbers"))
        await session.rollback()
        await session.execute(text("DELETE FROM numbers WHERE n < 10"))
        await session.commit()
    async with database.connection() as connection:
        left = (await connection.execute(text("SELECT count(*) FROM numbers"))).scalar()
    assert left == MANY - 10


async def test_a_failed_statement_leaves_the_connection_usable(database: Database) -> None:
    async with database.engine.connect() as connection:
        with pytest.raises(OperationalError):
            await connection.execute(text("SELECT nothing FROM nowhere"))
        await connection.rollback()
        assert (await connection.execute(text("SELECT count(*) FROM numbers"))).scalar() == MANY


async def test_a_cursor_fetches_one_some_and_the_rest_in_order(tmp_path: Path) -> None:
    async with sqlite_driver.connect(tmp_path / "plain.db") as connection:
        await connection.execute("CREATE TABLE numbers (n INTEGER)")
        await connection.executemany("INSERT INTO numbers VALUES (?)", [(n,) for n in range(MANY)])
        cursor = await connection.cursor()
        await cursor.execute("SELECT n FROM numbers ORDER BY n")
        first = await cursor.fetchone()
        some = await cursor.fetchmany(sqlite_driver.PREFETCH)
        rest = await cursor.fetchall()
        await cursor.close()
    assert [first, *some, *rest] == [(n,) for n in range(MANY)]
    assert await cursor.fetchone() is None


async def test_a_file_database_keeps_a_connection_for_each_of_many_updates(
    database: Database,
) -> None:
    assert database.engine.pool.size() == SQLITE_POOL_SIZE  # type: ignore[attr-defined]


def _numbers_up_to(n: int) -> Any:
    return select(NUMBERS.c.n).where(NUMBERS.c.n <= n).order_by(NUMBERS.c.n)


async def test_a_quick_read_makes_no_trip_to_a_connection_thread(
    database: Database, trips: list[str]
) -> None:
    rows = await database.quick_read(_numbers_up_to(2))
    assert [row.n for row in rows] == [0, 1, 2]
    assert trips == []


async def test_a_quick_read_sees_what_was_committed_just_before(database: Database) -> None:
    count = select(func.count()).select_from(NUMBERS)
    assert (await database.quick_read(count))[0][0] == MANY
    async with database.session() as session:
        await session.execute(text("DELETE FROM numbers WHERE n < 10"))
        await session.commit()
    assert (await database.quick_read(count))[0][0] == MANY - 10


async def test_a_quick_read_that_runs_too_long_is_finished_on_a_connection_thread(
    database: Database, trips: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_driver, "QUICK_READ_STEPS", 50)
    rows = await database.quick_read(_numbers_up_to(MANY))
    assert [row.n for row in rows] == list(range(MANY))
    assert trips[0] == "_run"


async def test_only_a_select_can_be_a_quick_read(database: Database) -> None:
    with pytest.raises(TypeError):
        await database.quick_read(text("DELETE FROM numbers"))  # type: ignore[arg-type]


async def test_a_memory_database_reads_quickly_through_its_own_connection() -> None:
    database = Database("sqlite+aiosqlite://")
    try:
        async with database.engine.begin() as connection:
            await connection.execute(text("CREATE TABLE numbers (n INTEGER PRIMARY KEY)"))
            await connection.execute(text("INSERT INTO numbers (n) VALUES (1), (2)"))
        assert [row.n for row in await database.quick_read(_numbers_up_to(5))] == [1, 2]
    finally:
        await database.dispose()


def _marked(statement: str) -> Any:
    return text(statement).execution_options(**{sqlite_driver.QUICK_READ: True})


async def test_a_statement_marked_quick_runs_on_the_event_loops_thread(
    database: Database, trips: list[str]
) -> None:
    async with database.connection() as connection:
        marked = sqlite_driver.quick_read(_numbers_up_to(1))
        assert [row.n for row in await connection.execute(marked)] == [0, 1]
        assert (await connection.execute(text("SELECT n FROM numbers WHERE n = 5"))).scalar() == 5
    assert trips == ["_run"]  # the unmarked one only


async def test_a_write_marked_quick_still_takes_the_trip_and_commits(
    database: Database, trips: list[str]
) -> None:
    async with database.session() as session:
        await session.execute(_marked("DELETE FROM numbers WHERE n < 10"))
        await session.commit()
    assert trips[0] == "_run"
    async with database.connection() as connection:
        left = (await connection.execute(text("SELECT count(*) FROM numbers"))).scalar()
    assert left == MANY - 10


async def test_a_marked_statement_that_runs_too_long_is_run_again_on_the_thread(
    database: Database, trips: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_driver, "QUICK_READ_STEPS", 50)
    async with database.connection() as connection:
        rows = (await connection.execute(_marked("SELECT n FROM numbers ORDER BY n"))).all()
    assert [row.n for row in rows] == list(range(MANY))
    assert trips[0] == "_run"


async def test_a_quick_read_session_reads_without_a_trip_and_needs_closing_only_once_used(
    database: Database, trips: list[str]
) -> None:
    unused = database.quick_read_session()
    assert not unused.in_transaction()
    session = database.quick_read_session()
    assert (await session.execute(_numbers_up_to(1))).scalars().all() == [0, 1]
    assert session.in_transaction()
    await session.close()
    assert trips == []
