"""candidate_ids narrows typed text down to likely accounts, through the name index."""

from __future__ import annotations

import pytest
from sqlalchemy import literal, select
from sqlalchemy import text as sql_text

from bot.store.db import Database
from bot.store.reads import ConnectionReader
from bot.store.search import (
    EXTERNAL_ID_INDEX,
    SQLITE_FTS_TABLE,
    candidate_ids,
    exact_ids,
    tidy_name_index,
)
from bot.store.tables import Account

NAMES = {
    "Acme Corporation": [],
    "Acorn Partners": [],
    "Apex Industries": ["Apex"],
    "阿里巴巴": ["Alibaba Group"],
    "腾讯控股": ["Tencent"],
    "Globex": [],
}


@pytest.fixture
async def accounts(database: Database) -> dict[str, int]:
    async with database.session() as session:
        rows = [Account(name=name, aliases=aliases) for name, aliases in NAMES.items()]
        rows[-1].external_id = "CRM-42"
        session.add_all(rows)
        await session.commit()
        return {row.name: row.id for row in rows}


async def _search(database: Database, text: str, limit: int = 3) -> list[int]:
    async with database.session() as session:
        return await candidate_ids(ConnectionReader(await session.connection()), text, limit)


async def test_a_partial_company_name_finds_the_account(
    database: Database, accounts: dict[str, int]
) -> None:
    assert (await _search(database, "acme corp"))[0] == accounts["Acme Corporation"]


async def test_a_misspelt_name_still_finds_the_account(
    database: Database, accounts: dict[str, int]
) -> None:
    assert accounts["Acme Corporation"] in await _search(database, "acme corpration")


async def test_chinese_text_shorter_than_a_trigram_finds_the_account(
    database: Database, accounts: dict[str, int]
) -> None:
    assert await _search(database, "阿里") == [accounts["阿里巴巴"]]


async def test_a_full_chinese_name_finds_the_account(
    database: Database, accounts: dict[str, int]
) -> None:
    assert (await _search(database, "阿里巴巴"))[0] == accounts["阿里巴巴"]


async def test_an_alias_finds_the_account(database: Database, accounts: dict[str, int]) -> None:
    assert (await _search(database, "alibaba"))[0] == accounts["阿里巴巴"]


async def test_an_exact_external_id_comes_first(
    database: Database, accounts: dict[str, int]
) -> None:
    assert (await _search(database, "CRM-42"))[0] == accounts["Globex"]


async def test_renames_alias_edits_and_deletions_reach_the_index(
    database: Database, accounts: dict[str, int]
) -> None:
    async with database.session() as session:
        acme = await session.get_one(Account, accounts["Acme Corporation"])
        acme.name = "Initech"
        tencent = await session.get_one(Account, accounts["腾讯控股"])
        tencent.aliases = ["WeChat Pay"]
        await session.delete(await session.get_one(Account, accounts["Globex"]))
        await session.commit()

    assert accounts["Acme Corporation"] not in await _search(database, "acme corp")
    assert (await _search(database, "initech"))[0] == accounts["Acme Corporation"]
    assert (await _search(database, "wechat"))[0] == accounts["腾讯控股"]
    assert accounts["Globex"] not in await _search(database, "globex")


async def test_the_limit_caps_the_candidates(database: Database, accounts: dict[str, int]) -> None:
    assert len(await _search(database, "ac", limit=1)) == 1


async def test_blank_text_finds_nothing(database: Database, accounts: dict[str, int]) -> None:
    assert await _search(database, "") == []
    assert await _search(database, "   ") == []


async def test_query_syntax_in_the_text_is_taken_literally(
    database: Database, accounts: dict[str, int]
) -> None:
    for text in ['"acme"', "acme*", "(acme)", "acme:corp", "acme OR globex"]:
        assert accounts["Acme Corporation"] in await _search(database, text), text
    # LIKE wildcards in short text must not match every name.
    assert await _search(database, "a_") == []


async def test_a_name_with_a_different_legal_suffix_finds_the_account(
    database: Database, accounts: dict[str, int]
) -> None:
    assert (await _search(database, "Acme Inc"))[0] == accounts["Acme Corporation"]


async def test_tidying_the_index_keeps_it_whole_and_finds_the_same_accounts(
    database: Database, accounts: dict[str, int]
) -> None:
    for i in range(40):  # one transaction each: one small index piece each on SQLite
        async with database.session() as session:
            session.add(Account(name=f"Tidy Holdings {i:03d}"))
            await session.commit()
    before = await _search(database, "tidy holdngs 017", limit=5)

    for thorough in (False, True):
        async with database.session() as session:
            await tidy_name_index(session, thorough=thorough)
            await session.commit()

    assert await _search(database, "tidy holdngs 017", limit=5) == before
    if database.dialect == "sqlite":  # FTS5 checks its index against the table
        async with database.session() as session:
            check = f"INSERT INTO {SQLITE_FTS_TABLE}({SQLITE_FTS_TABLE}) VALUES ('integrity-check')"
            await session.execute(sql_text(check))


async def test_an_alias_shorter_than_a_trigram_finds_the_account(
    database: Database, accounts: dict[str, int]
) -> None:
    async with database.session() as session:
        globex = await session.get_one(Account, accounts["Globex"])
        globex.aliases = ["环球"]
        await session.commit()

    assert await _search(database, "环球") == [accounts["Globex"]]
    # A name containing the two characters, not starting with them, is found too.
    assert await _search(database, "巴巴") == [accounts["阿里巴巴"]]


async def test_an_external_id_is_found_as_typed_in_any_case_by_its_index(
    database: Database, accounts: dict[str, int]
) -> None:
    assert (await _search(database, "crm-42"))[0] == accounts["Globex"]
    assert (await _search(database, "Crm-42"))[0] == accounts["Globex"]
    async with database.session() as session:
        query = select(Account.id).where(Account.id.in_(exact_ids(literal("crm-42"))))
        compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        explain = "EXPLAIN QUERY PLAN" if database.dialect == "sqlite" else "EXPLAIN"
        if database.dialect == "postgresql":  # a handful of rows: a scan would be cheaper
            await session.execute(sql_text("SET LOCAL enable_seqscan = off"))
        plan = [str(row) for row in await session.execute(sql_text(f"{explain} {compiled}"))]
    assert any(EXTERNAL_ID_INDEX in line for line in plan), plan


async def test_the_last_digits_of_a_number_or_the_number_without_its_zeros_find_the_account(
    database: Database,
) -> None:
    # 150 look-alikes whose numbers start with the digits typed: more than a substring
    # search reads, so only the number's own end finds the one meant.
    decoys = [f"Wayne Finance {4521000 + n}" for n in range(150)]
    async with database.session() as session:
        rows = [Account(name=name, aliases=[]) for name in [*decoys, "Wayne Finance 0074521"]]
        session.add_all(rows)
        await session.commit()
        wanted = rows[-1].id

    assert (await _search(database, "wayne finnace 4521"))[0] == wanted
    assert (await _search(database, "wayne finance 74521"))[0] == wanted
