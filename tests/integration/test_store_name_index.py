"""The word index of account names follows every write, and finds typos among look-alikes."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from bot.cli.main import app as main_app
from bot.service import Actor, TieringService
from bot.service.import_checks import ImportRow
from bot.store import migrate, search
from bot.store.db import Database
from bot.store.name_index import rebuild_of
from bot.store.reads import ConnectionReader
from bot.store.search import candidate_ids
from bot.store.search_plan import normalise
from bot.store.tables import Account, NameVocabulary, NameWord
from bot.store.word_search import run_steps_on, word_search
from bot.testing.builders import A_FACTS, add_team, service_for
from bot.testing.databases import sqlite_url

Index = tuple[set[tuple[str, int]], dict[str, int]]


async def _index(database: Database) -> Index:
    async with database.session() as session:
        rows = await session.execute(select(NameWord.word, NameWord.account_id))
        pairs = {(word, account_id) for word, account_id in rows}
        counts = await session.execute(select(NameVocabulary.word, NameVocabulary.accounts))
    return pairs, {word: n for word, n in counts if n}


async def _add(database: Database, *names: str) -> list[int]:
    async with database.session() as session:
        accounts = [Account(name=name) for name in names]
        session.add_all(accounts)
        await session.commit()
        return [account.id for account in accounts]


async def _search(database: Database, typed: str, limit: int = 3) -> list[int]:
    async with database.engine.connect() as connection:
        return await candidate_ids(ConnectionReader(connection), typed, limit)


async def _best_by_words(database: Database, typed: str) -> set[int]:
    """The accounts the word index alone rates best for ``typed`` (the substring index,
    which a whole search may also ask, finds most things in a small book too)."""
    needle = normalise(typed)
    postgres = database.dialect == "postgresql"
    async with database.engine.connect() as connection:
        found = await run_steps_on(
            ConnectionReader(connection), word_search(typed, needle, 3, postgres, words_too=True)
        )
    assert found.complete, typed
    best = max(found.scores.values())
    return {account_id for account_id, score in found.scores.items() if score == best}


async def test_accounts_saved_through_the_orm_are_indexed_by_their_words(
    database: Database,
) -> None:
    acme, tea = await _add(database, "Acme Foods Inc", "鼎盛茶业")

    pairs, counts = await _index(database)

    assert pairs == {("acme", acme), ("foods", acme), ("inc", acme),
                     ("鼎盛", tea), ("盛茶", tea), ("茶业", tea)}  # fmt: skip
    assert counts == dict.fromkeys(["acme", "foods", "inc", "鼎盛", "盛茶", "茶业"], 1)


async def test_a_renamed_account_moves_to_its_new_words_and_the_counts_follow(
    database: Database,
) -> None:
    acme, _ = await _add(database, "Acme Foods Inc", "Zentrix Foods")
    async with database.session() as session:
        account = await session.get_one(Account, acme)
        account.name = "Acme Robotics"
        account.aliases = ["Acme Bots"]
        await session.commit()

    pairs, counts = await _index(database)

    assert {word for word, account_id in pairs if account_id == acme} == {
        "acme", "robotics", "bots"
    }  # fmt: skip
    assert counts == {"acme": 1, "robotics": 1, "bots": 1, "foods": 1, "zentrix": 1}
    assert await _search(database, "acme bots") == [acme]


async def test_rebuilding_the_index_gives_what_the_writes_built(database: Database) -> None:
    await _add(database, "Acme Foods Inc", "Zentrix Foods", "华为技术有限公司", "Acme Labs")
    built = await _index(database)

    async with database.session() as session:
        await rebuild_of(session)
        await session.commit()

    assert await _index(database) == built


async def test_an_import_indexes_new_accounts_and_renamed_ones(database: Database) -> None:
    service: TieringService = service_for(database)
    await add_team(service)

    def book(name: str) -> list[ImportRow]:
        return [ImportRow(2, {"external_id": "CRM-1", "name": name, "aliases": "Kovi", **A_FACTS})]

    await service.import_accounts(Actor.cli(), book("Kovira Labs"), source="book.csv")
    first, _ = await _index(database)
    await service.import_accounts(Actor.cli(), book("Kovira Analytics"), source="book.csv")
    second, counts = await _index(database)

    assert {word for word, _ in first} == {"kovira", "labs", "kovi"}
    assert {word for word, _ in second} == {"kovira", "analytics", "kovi"}
    assert "labs" not in counts


async def test_a_misspelt_rare_word_finds_its_account_among_hundreds_sharing_the_rest(
    database: Database,
) -> None:
    await _add(database, *(f"Foods Holdings Inc {n:03d}" for n in range(300)))
    (kovira,) = await _add(database, "Kovira Foods Holdings Inc")

    for typed in ("kovria foods", "Kovira", "kvira foods holdings", "kovir"):
        assert (await _search(database, typed))[0] == kovira, typed


async def test_common_words_alone_still_find_an_account_having_both(
    database: Database,
) -> None:
    await _add(database, *(f"Foods Group {n:03d}" for n in range(150)))
    await _add(database, *(f"Logistics Holdings {n:03d}" for n in range(150)))
    (both,) = await _add(database, "Foods Logistics")

    assert (await _search(database, "foods logistics"))[0] == both


async def test_upgrading_a_database_with_accounts_indexes_them(database_url: str) -> None:
    await migrate.upgrade_async(database_url, "0001")
    database = Database(database_url)
    try:
        async with database.session() as session:
            await session.execute(
                text("INSERT INTO accounts (name, aliases, lifecycle_stage, facts, sub_scores, "
                     "created_at, updated_at, version) VALUES ('Kovira Labs', '[\"Kovi\"]', "
                     "'prospect', '{}', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)")
            )  # fmt: skip
            await session.commit()
        await asyncio.to_thread(migrate.upgrade, database_url)

        pairs, counts = await _index(database)
    finally:
        await database.dispose()

    assert {word for word, _ in pairs} == {"kovira", "labs", "kovi"}
    assert counts == {"kovira": 1, "labs": 1, "kovi": 1}


def test_db_reindex_indexes_accounts_written_by_other_tools(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = sqlite_url(tmp_path)
    monkeypatch.setenv("TIERBOT_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)  # no stray .env
    asyncio.run(migrate.upgrade_async(url))
    with sqlite3.connect(tmp_path / "tierbot.db") as other_tool:
        other_tool.execute(
            "INSERT INTO accounts (name, aliases, lifecycle_stage, facts, sub_scores, "
            "created_at, updated_at, version) VALUES ('Kovira Labs', '[]', 'prospect', '{}', "
            "'{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"
        )

    result = CliRunner().invoke(main_app, ["db", "reindex"])

    assert result.exit_code == 0, result.output
    assert "indexed the names of 1 accounts" in result.output
    with sqlite3.connect(tmp_path / "tierbot.db") as reader:
        assert set(reader.execute("SELECT word FROM name_words")) == {("kovira",), ("labs",)}


async def test_two_words_typed_without_the_space_between_find_the_account(
    database: Database,
) -> None:
    await _add(database, *(f"Kovira {n:03d} Foods" for n in range(5)))
    (meant,) = await _add(database, "Zentrix Logistics")

    assert (await _search(database, "zentrixlogistics"))[0] == meant


async def test_a_legal_form_typed_onto_the_name_finds_the_account(database: Database) -> None:
    await _add(database, *(f"Brizel {n:03d} Foods" for n in range(5)))
    (meant,) = await _add(database, "Brizel Co")

    assert (await _search(database, "BrizelCo"))[0] == meant
    assert await _best_by_words(database, "BrizelCo") == {meant}


async def test_a_doubled_chinese_character_still_finds_the_name_by_its_other_pairs(
    database: Database,
) -> None:
    # The typo makes a pair ("宇宇") that other names have; the name meant has every
    # other pair of what was typed.
    await _add(database, *(f"宇宇{trade}集团" for trade in ("贸易", "零售", "能源", "物流")))
    await _add(database, *(f"恒和{n}医疗" for n in "天地人和"))
    (meant,) = await _add(database, "恒和华宇医疗")

    assert (await _search(database, "恒和华宇宇医疗"))[0] == meant
    assert await _best_by_words(database, "恒和华宇宇医疗") == {meant}


async def test_a_typo_that_makes_the_rarest_word_a_wrong_one_still_finds_the_name(
    database: Database,
) -> None:
    # "las" names two accounts, "naiclal" more: the rarest typed word is not the one
    # meant, so the pool has the accounts of both words, those with a word as typed first.
    await _add(database, "Las Vegas Foods", "Lasso Media")
    await _add(database, *(f"Naiclal {n:03d} Systems" for n in range(20)))
    (meant,) = await _add(database, "Naiclal Labs")

    assert meant in await _search(database, "Naiclal Las", limit=5)
    assert meant in await _best_by_words(database, "Naiclal Las")


async def test_a_word_search_too_long_for_the_loop_thread_runs_again_whole_on_sqlite(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    if database.dialect != "sqlite":
        pytest.skip("SQLite only: PostgreSQL reads have no step budget")
    await _add(database, *(f"Foods Holdings Inc {n:03d}" for n in range(300)))
    (kovira,) = await _add(database, "Kovira Foods Holdings Inc")
    expected = await _search(database, "kovria foods")

    monkeypatch.setattr(search, "WORD_SEARCH_STEPS", 50)  # spent within the search

    assert await _search(database, "kovria foods") == expected
    assert expected[0] == kovira
