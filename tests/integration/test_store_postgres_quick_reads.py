"""Quick reads on PostgreSQL read what SQLAlchemy reads, and step aside when they cannot."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
import pytest_asyncio
from sqlalchemy import Select, column, event, select, table
from sqlalchemy.exc import DBAPIError

from bot.app import App, running_app
from bot.demo import ensure_demo_data
from bot.service import accounts, conversations, people
from bot.settings import load_settings
from bot.store.db import Database
from bot.store.enums import ChatPlatform
from bot.store.errors import DatabaseUnavailableError
from bot.store.postgres_quick_reads import UNAVAILABLE, PostgresQuickReads
from bot.store.prepared import Statement
from bot.store.reads import ConnectionReader, Reader
from bot.store.search import warm_name_index
from bot.store.search_plan import normalise
from bot.store.word_search import Step, word_search
from bot.testing.databases import DEFAULT_TEST_POSTGRES_URL, temporary_postgres_database

pytestmark = [pytest.mark.postgres, pytest.mark.asyncio(loop_scope="module")]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def demo_app() -> AsyncIterator[App]:
    server = os.environ.get("TIERBOT_TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES_URL)
    try:
        async with temporary_postgres_database(server) as url:
            settings = load_settings(database_url=url, model="default")
            async with running_app(settings) as app:
                await ensure_demo_data(app, console_person="tester")
                await app.service.save_state("slack", "C1", "U1", "qualify", {"step": 2})
                yield app
    except DatabaseUnavailableError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is unreachable: {exc}")
        pytest.skip(f"PostgreSQL is unreachable ({exc}); set TIERBOT_TEST_POSTGRES_URL")


def _quick_reads(app: App) -> PostgresQuickReads:
    quick = app.database._postgres_quick_reads
    assert quick is not None
    return quick


async def _through_sqlalchemy(
    app: App, statement: Statement, parameters: dict[str, Any]
) -> list[tuple[Any, ...]]:
    async with app.database.connection() as connection:
        result = await connection.execute(statement, parameters)
        return [tuple(row) for row in result.all()]


async def _hot_path_reads(app: App) -> list[tuple[Statement, dict[str, Any]]]:
    """Every statement the chat path reads quickly, with parameters that find rows."""
    tester = await app.service.person_by_identity("console", "tester")
    assert tester is not None
    summaries = {f"id{i}": i + 1 for i in range(10)}
    return [
        (accounts._exact_query(), {"wanted": "DEMO-0007"}),
        (accounts._card_query(), {"account_id": 3}),
        (accounts._recent_changes_query(accounts.RECENT_CHANGES), {"account_id": 3}),
        (accounts._matches_query(10), summaries),
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


async def test_every_hot_path_read_gives_the_rows_and_column_names_sqlalchemy_gives(
    demo_app: App,
) -> None:
    quick = _quick_reads(demo_app)
    for statement, parameters in await _hot_path_reads(demo_app):
        expected = await _through_sqlalchemy(demo_app, statement, parameters)
        rows = await quick.rows(statement, parameters)

        assert rows is not UNAVAILABLE, statement
        assert expected, f"the test's parameters should find rows: {statement}"
        assert isinstance(statement, Select)
        got = [tuple(row) for row in rows]  # type: ignore[union-attr]
        if not statement._order_by_clauses:  # in no particular order, either way
            got, expected = sorted(got, key=repr), sorted(expected, key=repr)
        assert got == expected
        first = rows[0]  # type: ignore[index]
        assert list(first._fields) == list(statement.selected_columns.keys())


async def _word_search_steps(app: App, texts: list[str]) -> list[Step]:
    """Every statement (with its parameters) that word searches for ``texts`` run."""
    steps: list[Step] = []
    async with app.database.connection() as connection:
        reader = ConnectionReader(connection)
        for text in texts:
            search = word_search(text, normalise(text), 10, True, words_too=True)
            try:
                step = next(search)
                while True:
                    steps.append(step)
                    step = search.send(list(await reader.rows(*step)))
            except StopIteration:
                pass
    return steps


async def test_every_statement_of_a_name_search_gives_the_rows_sqlalchemy_gives(
    demo_app: App,
) -> None:
    quick = _quick_reads(demo_app)
    steps = await _word_search_steps(demo_app, ["acme helth", "华为", "globex", "initech corp"])
    assert len(steps) > 4, "some searches should read the accounts of their words"
    for statement, parameters in steps:
        expected = await _through_sqlalchemy(demo_app, statement, parameters)
        rows = await quick.rows(statement, parameters)

        assert rows is not UNAVAILABLE, statement
        assert sorted(tuple(row) for row in rows) == sorted(expected)  # type: ignore[union-attr]


async def test_a_name_search_checks_out_no_ordinary_connection(demo_app: App) -> None:
    checkouts: list[object] = []
    listener = lambda *_: checkouts.append(1)  # noqa: E731 - an event hook
    pool = demo_app.database.engine.sync_engine.pool
    event.listen(pool, "checkout", listener)
    try:
        found = await demo_app.service.find_accounts("acme helth")
    finally:
        event.remove(pool, "checkout", listener)

    assert found
    assert found[0].account.name.startswith("Acme")
    assert checkouts == []


async def test_a_statement_the_server_refuses_is_reported_the_ordinary_way(
    demo_app: App,
) -> None:
    missing: Select[Any] = select(column("n")).select_from(table("no_such_table"))

    assert await _quick_reads(demo_app).rows(missing) is UNAVAILABLE
    with pytest.raises(DBAPIError, match="no_such_table"):
        await demo_app.database.quick_read(missing)
    # The quick connections keep answering what they can.
    assert await _quick_reads(demo_app).rows(accounts._card_query(), {"account_id": 3})


async def test_after_an_activation_the_name_indexes_are_read_back_into_memory(
    demo_app: App,
) -> None:
    async with demo_app.database.connection() as connection:
        assert await warm_name_index(connection) is True


async def test_an_unreachable_server_makes_quick_reads_step_aside_and_the_error_plain() -> None:
    with socket.socket() as probe:  # a port on this machine that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    database = Database(f"postgresql://postgres@127.0.0.1:{port}/nowhere")

    async def work(reader: Reader) -> object:
        return await reader.rows(accounts._card_query(), {"account_id": 1})

    try:
        quick = database._postgres_quick_reads
        assert quick is not None
        assert await quick.run(work) is UNAVAILABLE
        with pytest.raises(DatabaseUnavailableError):
            await database.reading(work)
    finally:
        await database.dispose()
