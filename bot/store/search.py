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

import sqlite3
from collections.abc import Callable, Iterable
from itertools import product
from typing import Any

from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    String,
    Text,
    TextClause,
    and_,
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
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from bot.store import sqlite_driver
from bot.store.reads import ConnectionReader, Reader
from bot.store.search_plan import TRIGRAM, Level, levels, normalise
from bot.store.tables import Account
from bot.store.word_search import WordMatches, run_steps, run_steps_on, word_search

SQLITE_FTS_TABLE = "account_names"
POSTGRES_TRIGRAM_INDEXES = ("ix_accounts_name_trgm", "ix_accounts_aliases_trgm")
# Every account's name and aliases by id: a word search's candidates' names, read from
# the index alone (see bot.store.word_search_sql).
POSTGRES_NAMES_BY_ID_INDEX = "ix_accounts_names_by_id"
# External ids as found ignoring case, on both databases (see exact_ids).
EXTERNAL_ID_INDEX = "ix_accounts_external_id_folded"
_SEARCHED_TABLES = ("accounts", "name_words", "name_vocabulary", "name_word_variants")

# Accounts read from the substring index per query at most: enough to rank a typo's
# neighbours, few enough to cost well under a millisecond to fetch and rank.
_POOL = 100
# A name this similar (0-100) found through its words is what was meant; below it the
# substring index is asked too when a typed word is none the index knows...
CLOSE_ENOUGH = 80.0
# ...and below this whatever was typed: the names found share no more than a word.
UNLIKE = 60.0
# SQLite VM steps a word search may take on the event loop's thread: every list it
# reads is bounded, and its slowest take some 50,000 steps, about a millisecond.
WORD_SEARCH_STEPS = 100_000
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


async def candidate_ids(reader: Reader, text: str, limit: int) -> list[int]:
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
    driver = await _sqlite_driver(reader)
    if driver is not None:
        # A new search each time: a read that ran out of steps is run again elsewhere.
        found = await driver.read(
            lambda sqlite: run_steps(
                word_search(typed, needle, limit, False, words_too=words), _on(sqlite)
            ),
            steps=WORD_SEARCH_STEPS,
        )
    else:
        postgres = reader.dialect_name == "postgresql"
        found = await run_steps_on(
            reader, word_search(typed, needle, limit, postgres, words_too=words)
        )
    pool = found.pool
    ranked = _ranked(needle, pool, found.scores)
    if _substrings_may_help(ranked, found):
        pool.update(await _substring_pool(reader, needle, max(_POOL, limit)))
        # The words did not account for the text: their scores say little.
        ranked = _ranked(needle, pool, {})
    return list(dict.fromkeys([*found.exact, *(account_id for account_id, _ in ranked)]))[:limit]


def _substrings_may_help(ranked: list[tuple[int, float]], found: WordMatches) -> bool:
    """Whether to ask the substring index too: when the words found nothing, or nothing
    close while a typed word is none the index knows (garbled beyond one slip, part of
    a word, words run together in ways no cut finds), or nothing even like what was
    typed. A close name, or names sharing every typed word, are what was meant: the
    substring index would only add worse guesses, at the cost of the slowest queries."""
    if not ranked:
        return True
    best = max(similarity for _, similarity in ranked)
    return best < CLOSE_ENOUGH and (not found.complete or best < UNLIKE)


async def _sqlite_driver(reader: Reader) -> sqlite_driver.Connection | None:
    """The driver connection of an ordinary SQLite reader: one trip to its thread runs a
    whole word search."""
    if not isinstance(reader, ConnectionReader):
        return None
    driver = (await reader.connection.get_raw_connection()).driver_connection
    return driver if isinstance(driver, sqlite_driver.Connection) else None


def _on(connection: sqlite3.Connection) -> Callable[[TextClause, dict[str, Any]], list[Any]]:
    """How a search's statements run on a SQLite connection: these take microseconds
    each, a trip to SQLite's thread and SQLAlchemy's part far longer."""
    return lambda statement, parameters: connection.execute(statement.text, parameters).fetchall()


async def _substring_pool(reader: Reader, needle: str, want: int) -> dict[int, str]:
    """Names and aliases containing the text's pieces, strictest level first."""
    postgres = reader.dialect_name == "postgresql"
    pool: dict[int, str] = {}
    plan = list(levels(needle))
    for strictest, level in enumerate(plan):
        rows = await (_postgres_level if postgres else _sqlite_level)(reader, level, want)
        pool.update(rows)
        # Names containing everything typed are what was meant: looser levels would
        # only add worse guesses, at the cost of the slowest queries.
        if len(pool) >= want or (strictest == 0 and pool):
            break
    if not plan:  # shorter than a trigram: names starting with it, then containing it
        prefix = _postgres_prefix if postgres else _sqlite_prefix
        pool.update(await prefix(reader, needle, want))
        if len(pool) < want:
            within = _postgres_within if postgres else _sqlite_within
            pool.update(await within(reader, needle, want))
    return pool


def exact_ids(typed: ColumnElement[str]) -> CompoundSelect[int]:
    """The ids of accounts whose external id (in any case) or name is ``typed``.

    Two lookups, one per unique or indexed column, whatever the planner thinks: asked
    as one condition with OR, PostgreSQL without fresh statistics (after a bulk load)
    reads every account instead.
    """
    return union_all(
        # Ignoring case, by its own index: "demo-0001" is DEMO-0001.
        select(Account.id).where(CaseFolded(Account.external_id) == CaseFolded(typed)),
        select(Account.id).where(Account.name == typed),
    )


class CaseFolded(FunctionElement[str]):
    """Text compared ignoring case, written so that :data:`EXTERNAL_ID_INDEX` answers:
    ``lower(x)`` on PostgreSQL, ``x COLLATE NOCASE`` on SQLite (whose index on an
    expression SQLAlchemy cannot reflect)."""

    type = String()
    inherit_cache = True


@compiles(CaseFolded)
def _lower(element: CaseFolded, compiler: SQLCompiler, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(CaseFolded, "sqlite")
def _nocase(element: CaseFolded, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{compiler.process(element.clauses, **kw)} COLLATE NOCASE"


def _ranked(needle: str, pool: dict[int, str], scores: dict[int, int]) -> list[tuple[int, float]]:
    """The pool's ids with their similarity to ``needle``: the accounts having most of
    what was typed first (``scores``; none counts as 0), then the most similar.

    The score comes first because rapidfuzz's WRatio rates any longer name sharing one
    whole word with the text alike (90), whether it shares the rare word typed or only
    "foods".
    """
    best = process.extract(
        needle, pool, scorer=fuzz.WRatio, processor=default_process, limit=len(pool)
    )
    # Equal scores keep the index's order (ids ascending), so results are repeatable.
    best.sort(key=lambda match: (-scores.get(match[2], 0), -match[1], match[2]))
    return [(account_id, similarity) for _, similarity, account_id in best]


async def _sqlite_level(reader: Reader, level: Level, limit: int) -> dict[int, str]:
    query = " AND ".join("(" + " OR ".join(map(_fts_phrase, clause)) + ")" for clause in level)
    rows = await reader.rows(_SQLITE_MATCH, {"query": query, "limit": limit})
    return {account_id: text for account_id, text in rows}


async def _sqlite_prefix(reader: Reader, needle: str, limit: int) -> dict[int, str]:
    # The B-tree on name compares case-sensitively, so ask for each way of writing
    # the prefix ("ac": ac, aC, Ac, AC): each is one range of the index.
    ranges = [
        select(Account.id, Account.name).where(
            Account.name >= variant, Account.name < variant + _LAST
        )
        for variant in _case_variants(needle[:_MAX_PREFIX_CHARACTERS])
    ]
    query = union(*ranges).limit(limit)
    return {account_id: name for account_id, name in await reader.rows(query)}


async def _sqlite_within(reader: Reader, needle: str, limit: int) -> dict[int, str]:
    # No index answers "contains these two characters"; this reads names until it has
    # enough, which for one or two characters is rarely far (and never over a limit).
    rows = await reader.rows(
        _SQLITE_LIKE, {"contains": f"%{_escape_like(needle)}%", "limit": limit}
    )
    return {account_id: text for account_id, text in rows}


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


async def _postgres_level(reader: Reader, level: Level, limit: int) -> dict[int, str]:
    condition = and_(*(or_(*map(_postgres_contains, clause)) for clause in level))
    return await _postgres_pool(reader, condition, limit)


async def _postgres_prefix(reader: Reader, needle: str, limit: int) -> dict[int, str]:
    name, _ = _postgres_searched()
    # pg_trgm pads an anchored pattern, so even one or two characters use the index.
    condition = name.like(f"{_escape_like(needle)}%", escape="\\")
    return await _postgres_pool(reader, condition, limit)


async def _postgres_within(reader: Reader, needle: str, limit: int) -> dict[int, str]:
    return await _postgres_pool(reader, _postgres_contains(needle), limit)


async def _postgres_pool(
    reader: Reader, condition: ColumnElement[bool], limit: int
) -> dict[int, str]:
    # The planner costs trigram LIKE as cheap to check row by row and, with a LIMIT,
    # would scan the table hoping to stop early; for a rare name that reads it all.
    await reader.forbid_scans()
    shown = (Account.name + literal(" ") + cast(Account.aliases, Text)).label("shown")
    query = select(Account.id, shown).where(condition).limit(limit)
    return {account_id: text for account_id, text in await reader.rows(query)}


def _fts_phrase(value: str) -> str:
    # A quoted FTS5 string is matched literally; quotes inside are doubled.
    return '"' + value.replace('"', '""') + '"'


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# What a name search reads on PostgreSQL, besides the accounts' primary key: indexes,
# and the one table whose rows it reads (the vocabulary's account counts).
POSTGRES_SEARCHED_RELATIONS = (
    "pk_name_word_variants",
    "pk_name_vocabulary",
    "name_vocabulary",
    "pk_name_words",
    POSTGRES_NAMES_BY_ID_INDEX,
    EXTERNAL_ID_INDEX,
    "ix_accounts_name",
)


async def warm_name_index(connection: AsyncConnection) -> bool:
    """PostgreSQL, after every account was rewritten: read the indexes a name search
    reads back into the operating system's cache, in one sequential pass each (a second
    or so for a million accounts), so the lookups after it do not each wait for a dozen
    scattered disk reads. Needs the pg_prewarm extension (see migration 0003); without
    it, nothing happens. Whether it ran."""
    installed = "SELECT 1 FROM pg_extension WHERE extname = 'pg_prewarm'"
    if (await connection.execute(sql_text(installed))).first() is None:
        return False
    for index in POSTGRES_SEARCHED_RELATIONS:
        await connection.execute(
            sql_text("SELECT pg_prewarm(CAST(:index AS regclass), 'read')"), {"index": index}
        )
    return True


async def vacuum_name_index(connection: AsyncConnection) -> None:
    """PostgreSQL, after a bulk load: mark the searched tables' pages all-visible and
    refresh the planner's statistics, on an autocommit connection (VACUUM runs outside
    transactions). Until a page is marked, an index-only scan reads the table's row too:
    a word search read a thousand scattered rows of a list instead of a few index pages.
    Autovacuum would get there, minutes later."""
    await connection.execute(sql_text(f"VACUUM (ANALYZE) {', '.join(_SEARCHED_TABLES)}"))


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
    After a bulk load, see also :func:`vacuum_name_index`.
    The caller commits.
    """
    if session.get_bind().dialect.name == "postgresql":
        for index in POSTGRES_TRIGRAM_INDEXES:
            await session.execute(
                sql_text("SELECT gin_clean_pending_list(CAST(:index AS regclass))"),
                {"index": index},
            )
        return
    command = "'optimize'" if thorough else f"'merge', {_MERGE_PAGES}"
    columns = f"{SQLITE_FTS_TABLE}" if thorough else f"{SQLITE_FTS_TABLE}, rank"
    await session.execute(sql_text(f"INSERT INTO {SQLITE_FTS_TABLE}({columns}) VALUES ({command})"))
