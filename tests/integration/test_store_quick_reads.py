"""Quick reads on a SQLite file read what SQLAlchemy reads, and stay on the caller's thread."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest
import pytest_asyncio
from sqlalchemy import Select, bindparam, column, select, table, text
from sqlalchemy.exc import StatementError

from bot.app import App, running_app
from bot.demo import ensure_demo_data
from bot.service import accounts, conversations, people
from bot.settings import load_settings
from bot.store import sqlite_driver
from bot.store.enums import ChatPlatform
from bot.store.quick_reads import QuickReads
from bot.testing.databases import sqlite_url

NUMBERS = table("numbers", column("n"))


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def demo_app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[App]:
    directory = tmp_path_factory.mktemp("quick")
    settings = load_settings(database_url=sqlite_url(Path(directory)), model="default")
    async with running_app(settings) as app:
        await ensure_demo_data(app, console_person="tester")
        await app.service.save_state("slack", "C1", "U1", "qualify", {"step": 2, "a": "是"})
        yield app


def _quick_reads(app: App) -> QuickReads:
    quick = app.database._quick_reads
    assert quick is not None
    return quick


async def _through_sqlalchemy(
    app: App, statement: Select[Any], parameters: dict[str, Any]
) -> list[tuple[Any, ...]]:
    async with app.database.connection() as connection:
        result = await connection.execute(statement, parameters)
        return [tuple(row) for row in result.all()]


async def _hot_path_reads(app: App) -> list[tuple[Select[Any], dict[str, Any]]]:
    """Every statement the chat path reads quickly, with parameters that find rows."""
    tester = await app.service.person_by_identity("console", "tester")
    assert tester is not None
    return [
        (accounts._exact_query(), {"wanted": "DEMO-0007"}),
        (accounts._card_query(), {"account_id": 3}),
        (accounts._recent_changes_query(accounts.RECENT_CHANGES), {"account_id": 3}),
        (
            cast(Select[Any], conversations._state_query()),
            {"platform": ChatPlatform.SLACK, "chat_id": "C1", "user_id": "U1"},
        ),
        (
            people._person_by_identity_query(),
            {"platform": ChatPlatform("console"), "user_id": "tester"},
        ),
        (people._identities_query(), {"person_id": tester.id}),
    ]


@pytest.mark.asyncio(loop_scope="module")
async def test_every_hot_path_read_gives_the_rows_and_column_names_sqlalchemy_gives(
    demo_app: App,
) -> None:
    quick = _quick_reads(demo_app)
    for statement, parameters in await _hot_path_reads(demo_app):
        expected = await _through_sqlalchemy(demo_app, statement, parameters)
        rows = quick.rows(statement, parameters)

        assert rows is not None, statement
        assert expected, f"the test's parameters should find rows: {statement}"
        assert [tuple(row) for row in rows] == expected
        assert list(rows[0]._fields) == list(statement.selected_columns.keys())
        assert dict(rows[0]._mapping) == dict(zip(rows[0]._fields, expected[0], strict=True))


@pytest.mark.asyncio(loop_scope="module")
async def test_a_state_saved_is_seen_by_the_next_quick_read(demo_app: App) -> None:
    statement = conversations._state_query()
    key = {"platform": ChatPlatform.SLACK, "chat_id": "C9", "user_id": "U9"}
    assert await demo_app.database.quick_read(statement, key) == []

    await demo_app.service.save_state("slack", "C9", "U9", "qualify", {"step": 1})

    (row,) = await demo_app.database.quick_read(statement, key)
    assert (row.flow, row.state) == ("qualify", {"step": 1})


@pytest.mark.asyncio(loop_scope="module")
async def test_a_statement_needing_run_time_expansion_still_reads_through_sqlalchemy(
    demo_app: App,
) -> None:
    by_ids = select(NUMBERS.c.n).where(NUMBERS.c.n.in_(bindparam("ids", expanding=True)))
    async with demo_app.database.engine.begin() as connection:
        await connection.execute(text("CREATE TABLE IF NOT EXISTS numbers (n INTEGER)"))
        await connection.execute(text("INSERT INTO numbers VALUES (1), (2), (3)"))

    rows = await demo_app.database.quick_read(by_ids, {"ids": [1, 3]})

    assert sorted(row.n for row in rows) == [1, 3]


@pytest.fixture
async def numbers(tmp_path: Path) -> AsyncIterator[QuickReads]:
    from bot.store.db import Database, quick_reads_for

    database = Database(sqlite_url(tmp_path))
    async with database.engine.begin() as connection:
        await connection.execute(text("CREATE TABLE numbers (n INTEGER PRIMARY KEY)"))
        await connection.execute(
            text("INSERT INTO numbers (n) VALUES (:n)"), [{"n": n} for n in range(2_000)]
        )
    quick = quick_reads_for(database.engine.url)
    assert quick is not None
    try:
        yield quick
    finally:
        quick.dispose()
        await database.dispose()


async def test_a_small_read_repeated_many_times_is_never_taken_for_a_long_one(
    numbers: QuickReads, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite counts progress-handler steps over a cached statement's whole life: a budget
    # checked that way would interrupt a small lookup once its runs added up to it.
    monkeypatch.setattr(sqlite_driver, "QUICK_READ_STEPS", 1_000)
    one = select(NUMBERS.c.n).where(NUMBERS.c.n == bindparam("n"))

    answers = [numbers.rows(one, {"n": 7}) for _ in range(500)]

    assert all(rows is not None and [row.n for row in rows] == [7] for rows in answers)


async def test_a_long_read_is_handed_back_to_run_the_ordinary_way(
    numbers: QuickReads, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_driver, "QUICK_READ_STEPS", 1_000)
    every = select(NUMBERS.c.n).order_by(NUMBERS.c.n.desc())

    assert numbers.rows(every) is None
    assert [row.n for row in numbers.rows(every.limit(3)) or []] == [1999, 1998, 1997]


async def test_a_quick_read_missing_a_parameter_fails_as_sqlalchemy_says(
    numbers: QuickReads,
) -> None:
    one = select(NUMBERS.c.n).where(NUMBERS.c.n == bindparam("n"))

    with pytest.raises(StatementError, match="'n'"):
        numbers.rows(one, {})
