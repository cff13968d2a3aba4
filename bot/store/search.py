"""Find accounts whose name or alias looks like what someone typed.

This only narrows the field: it asks database indexes for a bounded pool of accounts,
ranks the pool with rapidfuzz and returns the best ids. It never reads every name.

Two indexes answer, the first that finds something close enough wins:

* the word index (:mod:`bot.store.word_search`), the same tables on both databases:
  the accounts of the rarest typed word, found as typed, one slip away or as the
  start of a longer word. Two statements however many accounts there are;
* the substring index, for what the words miss (words typed run together, text
  shorter than a word): the levels of :mod:`bot.store.search_plan`, strictest first.
  It differs per database, which is why the migrations create it by hand:

  * PostgreSQL: pg_trgm GIN indexes on ``lower(name)`` and ``lower(aliases::text)``,
    which answer ``LIKE '%piece%'`` and anchored ``LIKE 'pi%'``.
  * SQLite: the FTS5 table ``account_names`` (trigram tokenizer), one row per
    account with ``rowid = account_id`` and ``text`` = name, then the aliases;
    triggers on ``accounts`` keep it in sync. Text shorter than a trigram is looked
    up as a name prefix in the ``name`` B-tree index.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Iterable
from itertools import product

from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Select,
    Text,
    and_,
    bindparam,
    cast,
    func,
    literal,
    or_,
    select,
    union,
    union_all,
)
from sqlalchemy import text as sql_text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.store import sqlite_driver
from bot.store.search_plan import TRIGRAM, Level, levels, normalise
from bot.store.tables import Account
from bot.store.word_search import run_steps, word_pool, word_search

SQLITE_FTS_TABLE = "account_names"
POSTGRES_TRIGRAM_INDEXES = ("ix_accounts_name_trgm", "ix_accounts_aliases_trgm")
_SEARCHED_TABLES = ("accounts", "name_words", "name_vocabulary", "name_word_variants")

# Accounts read from the substring index per query at most: enough to rank a typo's
# neighbours, few enough to cost well under a millisecond to fetch and rank.
_POOL = 100
# A name this similar (0-100) found through its words is what was meant; below it the
# substring index is asked too, for names whose words were typed run together.
CLOSE_ENOUGH = 80.0
# Case variants of a short prefix: 2 characters have at most 4.
_MAX_PREFIX_CHARACTERS = 2
# Sorts after every character, so [prefix, prefix + _LAST) is "starts with prefix".
_LAST = "\U0010ffff"

_SQLITE_LIKE = sql_text(
    f"SELECT rowid, text FROM {SQLITE_FTS_TABLE} WHERE text LIKE :contains ESCAPE '\\' LIMIT :limit"
)
_SQLITE_MATCH = sql_text(
    f"SELECT rowid, text FROM {SQLITE_FTS_TABLE} WHERE {SQLITE_FTS_TABLE} MATCH :query LIMIT :limit"
)


async def candidate_ids(connection: AsyncConnection, text: str, limit: int) -> list[int]:
    """Up to ``limit`` account ids that may be what ``text`` means, best guesses first.

    An exact ``external_id`` or name comes first; then names and aliases sharing the
    rarest of ``text``'s words (see :mod:`bot.store.word_search`); and when those are
    not close, names and aliases that contain ``text``'s words, or most of them, or
    most of each.
    """
    typed = " ".join(text.split())
    if not typed or limit <= 0:
        return []
    needle = normalise(typed)
    # Shorter text is no word worth looking up: names starting with it are (see below).
    words = len(needle) >= TRIGRAM
    driver = (await connection.get_raw_connection()).driver_connection
    if isinstance(driver, sqlite_driver.Connection):
        found, pool = await driver.read(
            lambda sqlite: _sqlite_words(sqlite, typed, needle, limit, words)
        )
    else:
        found = list(await connection.scalars(_exact_ids(), {"typed": typed, "limit": limit}))
        pool = await word_pool(connection, needle) if words else {}
    ranked = _ranked(needle, pool)
    if not ranked or ranked[0][1] < CLOSE_ENOUGH:
        pool.update(await _substring_pool(connection, needle, max(_POOL, limit)))
        ranked = _ranked(needle, pool)
    return list(dict.fromkeys([*found, *(account_id for account_id, _ in ranked)]))[:limit]


async def _substring_pool(connection: AsyncConnection, needle: str, want: int) -> dict[int, str]:
    """Names and aliases containing the text's pieces, strictest level first."""
    postgres = connection.dialect.name == "postgresql"
    pool: dict[int, str] = {}
    plan = list(levels(needle))
    for strictest, level in enumerate(plan):
        rows = await (_postgres_level if postgres else _sqlite_level)(connection, level, want)
        pool.update(rows)
        # Names containing everything typed are what was meant: looser levels would
        # only add worse guesses, at the cost of the slowest queries.
        if len(pool) >= want or (strictest == 0 and pool):
            break
    if not plan:  # shorter than a trigram: names starting with it, then containing it
        prefix = _postgres_prefix if postgres else _sqlite_prefix
        pool.update(await prefix(connection, needle, want))
        if len(pool) < want:
            within = _postgres_within if postgres else _sqlite_within
            pool.update(await within(connection, needle, want))
    return pool


def _sqlite_words(
    sqlite: sqlite3.Connection, typed: str, needle: str, limit: int, words: bool
) -> tuple[list[int], dict[int, str]]:
    """The exact matches and, when ``words``, the word index's pool, read together:
    these statements take microseconds each, a trip to SQLite's thread and
    SQLAlchemy's part far longer."""
    exact = [
        account_id
        for (account_id,) in sqlite.execute(_SQLITE_EXACT, {"typed": typed, "limit": limit})
    ]
    if not words:
        return exact, {}
    pool = run_steps(
        word_search(needle, postgres=False),
        lambda statement, parameters: sqlite.execute(statement.text, parameters).fetchall(),
    )
    return exact, pool


_SQLITE_EXACT = (
    "SELECT id FROM (SELECT id FROM accounts WHERE external_id = :typed UNION ALL "
    "SELECT id FROM accounts WHERE name = :typed) ORDER BY id LIMIT :limit"
)


@functools.cache
def _exact_ids() -> Select[int]:
    typed: BindParameter[str] = bindparam("typed")
    found = exact_ids(typed).subquery()
    return select(found.c.id).order_by(found.c.id).limit(bindparam("limit"))


def exact_ids(typed: ColumnElement[str]) -> CompoundSelect[int]:
    """The ids of accounts whose external id or name is ``typed``.

    Two lookups, one per unique or indexed column, whatever the planner thinks: asked
    as one condition with OR, PostgreSQL without fresh statistics (after a bulk load)
    reads every account instead.
    """
    return union_all(
        select(Account.id).where(Account.external_id == typed),
        select(Account.id).where(Account.name == typed),
    )


def _ranked(needle: str, pool: dict[int, str]) -> list[tuple[int, float]]:
    """The pool's ids with their similarity to ``needle``, best first."""
    best = process.extract(
        needle, pool, scorer=fuzz.WRatio, processor=default_process, limit=len(pool)
    )
    # Equal scores keep the index's order (ids ascending), so results are repeatable.
    best.sort(key=lambda match: (-match[1], match[2]))
    return [(account_id, score) for _, score, account_id in best]


async def _sqlite_level(connection: AsyncConnection, level: Level, limit: int) -> dict[int, str]:
    query = " AND ".join("(" + " OR ".join(map(_fts_phrase, clause)) + ")" for clause in level)
    result = await connection.execute(_SQLITE_MATCH, {"query": query, "limit": limit})
    return {account_id: text for account_id, text in result.all()}


async def _sqlite_prefix(connection: AsyncConnection, needle: str, limit: int) -> dict[int, str]:
    # The B-tree on name compares case-sensitively, so ask for each way of writing
    # the prefix ("ac": ac, aC, Ac, AC): each is one range of the index.
    ranges = [
        select(Account.id, Account.name).where(
            Account.name >= variant, Account.name < variant + _LAST
        )
        for variant in _case_variants(needle[:_MAX_PREFIX_CHARACTERS])
    ]
    query = union(*ranges).limit(limit)
    return {account_id: name for account_id, name in (await connection.execute(query)).all()}


async def _sqlite_within(connection: AsyncConnection, needle: str, limit: int) -> dict[int, str]:
    # No index answers "contains these two characters"; this reads names until it has
    # enough, which for one or two characters is rarely far (and never over a limit).
    result = await connection.execute(
        _SQLITE_LIKE, {"contains": f"%{_escape_like(needle)}%", "limit": limit}
    )
    return {account_id: text for account_id, text in result.all()}


def _case_variants(prefix: str) -> list[str]:
    options: Iterable[tuple[str, ...]] = product(
        *(dict.fromkeys((c, c.lower(), c.upper(), c.title())) for c in prefix)
    )
    return ["".join(option) for option in options]


def _postgres_searched() -> tuple[ColumnElement[str], ColumnElement[str]]:
    # Written exactly like the index expressions so the planner can use them.
    return func.lower(Account.name), func.lower(cast(Account.aliases, Text))


def _postgres_contains(piece: str) -> ColumnElement[bool]:
    name, aliases = _postgres_searched()
    pattern = f"%{_escape_like(piece)}%"
    return or_(name.like(pattern, escape="\\"), aliases.like(pattern, escape="\\"))


async def _postgres_level(connection: AsyncConnection, level: Level, limit: int) -> dict[int, str]:
    condition = and_(*(or_(*map(_postgres_contains, clause)) for clause in level))
    return await _postgres_pool(connection, condition, limit)


async def _postgres_prefix(connection: AsyncConnection, needle: str, limit: int) -> dict[int, str]:
    name, _ = _postgres_searched()
    # pg_trgm pads an anchored pattern, so even one or two characters use the index.
    condition = name.like(f"{_escape_like(needle)}%", escape="\\")
    return await _postgres_pool(connection, condition, limit)


async def _postgres_within(connection: AsyncConnection, needle: str, limit: int) -> dict[int, str]:
    return await _postgres_pool(connection, _postgres_contains(needle), limit)


async def _postgres_pool(
    connection: AsyncConnection, condition: ColumnElement[bool], limit: int
) -> dict[int, str]:
    # The planner costs trigram LIKE as cheap to check row by row and, with a LIMIT,
    # would scan the table hoping to stop early; for a rare name that reads it all.
    # Within this transaction only, it must use the indexes.
    await connection.execute(sql_text("SET LOCAL enable_seqscan = off"))
    shown = Account.name + literal(" ") + cast(Account.aliases, Text)
    query = select(Account.id, shown).where(condition).limit(limit)
    return {account_id: text for account_id, text in (await connection.execute(query)).all()}


def _fts_phrase(value: str) -> str:
    # A quoted FTS5 string is matched literally; quotes inside are doubled.
    return '"' + value.replace('"', '""') + '"'


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# FTS5 pages of merging per housekeeping round: a few milliseconds of work.
_MERGE_PAGES = 200


async def tidy_name_index(session: AsyncSession, *, thorough: bool = False) -> None:
    """Fold recent writes into the name index proper, so a lookup reads one index.

    SQLite: every write adds a small FTS5 segment that is merged only now and then, so
    after a bulk load a lookup may read dozens. ``thorough`` merges them all (seconds
    for a million accounts: after imports and bulk loads); otherwise a bounded slice of
    work, cheap enough for every housekeeping round.
    PostgreSQL: GIN queues new entries in a pending list that every search reads in
    full until autovacuum gets to it; after a model activation rewrote every row that
    list holds a million entries. It is folded in here, which costs nothing when empty.
    ``thorough`` also refreshes the planner's statistics of the searched tables.
    The caller commits.
    """
    if session.get_bind().dialect.name == "postgresql":
        for index in POSTGRES_TRIGRAM_INDEXES:
            await session.execute(
                sql_text("SELECT gin_clean_pending_list(CAST(:index AS regclass))"),
                {"index": index},
            )
        if thorough:  # a bulk load leaves the planner guessing until autovacuum comes by
            await session.execute(sql_text(f"ANALYZE {', '.join(_SEARCHED_TABLES)}"))
        return
    command = "'optimize'" if thorough else f"'merge', {_MERGE_PAGES}"
    columns = f"{SQLITE_FTS_TABLE}" if thorough else f"{SQLITE_FTS_TABLE}, rank"
    await session.execute(sql_text(f"INSERT INTO {SQLITE_FTS_TABLE}({columns}) VALUES ({command})"))
