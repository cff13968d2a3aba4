"""Statements are prepared once, and the ones in use stay prepared."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, column, select, table, text
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.dialects.sqlite.pysqlite import dialect as pysqlite_dialect

from bot.store.prepared import PreparedCache, prepare

NUMBERS = table("numbers", column("n"), column("label"))


def _lookup() -> Select[Any]:
    return select(NUMBERS.c.n, NUMBERS.c.label).where(NUMBERS.c.n == bindparam("n"))


def test_a_statement_in_use_stays_prepared_while_one_off_statements_pass_through() -> None:
    cache = PreparedCache(pysqlite_dialect(), limit=3)
    hot = _lookup()
    first = cache.get(hot)

    for n in range(20):  # statements built per call, each used once
        cache.get(select(NUMBERS.c.n).where(NUMBERS.c.n > n))
        assert cache.get(hot) is first


def test_a_statement_used_least_lately_is_the_one_forgotten() -> None:
    cache = PreparedCache(pysqlite_dialect(), limit=2)
    one, two, three = _lookup(), _lookup(), _lookup()
    kept = cache.get(one)
    cache.get(two)
    cache.get(one)
    cache.get(three)  # the third pushes out the second, the one used least lately

    assert cache.get(one) is kept


def test_a_text_statement_binds_by_name_in_the_order_of_its_positional_parameters() -> None:
    prepared = prepare(text("SELECT :b, :a, :b"), asyncpg_dialect())

    assert prepared is not None
    assert prepared.sql == "SELECT $1, $2, $1"
    assert prepared.values({"a": 1, "b": 2}) == [2, 1]
    assert prepared.rows([(2, 1, 2)]) == [(2, 1, 2)]


def test_columns_whose_conversion_depends_on_the_described_type_wait_to_be_described() -> None:
    prepared = prepare(_lookup(), asyncpg_dialect(), describe=True)

    assert prepared is not None
    assert prepared.needs_description
    described = prepared.described([23, 25])  # PostgreSQL's int4 and text
    (row,) = described.rows([(7, "seven")])
    assert (row.n, row.label, row._mapping) == (7, "seven", {"n": 7, "label": "seven"})


def test_a_statement_whose_parameters_expand_at_run_time_is_left_to_sqlalchemy() -> None:
    expanding = select(NUMBERS.c.n).where(NUMBERS.c.n.in_(bindparam("ns", expanding=True)))

    assert prepare(expanding, pysqlite_dialect()) is None
