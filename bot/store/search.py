"""Find accounts whose name or alias looks like what someone typed.

This only narrows the field: it asks a database index for a bounded pool of accounts
(see :mod:`bot.store.search_plan` for what it asks, strictest first), ranks the pool
with rapidfuzz and returns the best ids. It never reads every account name.

The index differs per database, which is why the migrations create it by hand:

* PostgreSQL: pg_trgm GIN indexes on ``lower(name)`` and ``lower(aliases::text)``,
  which answer ``LIKE '%piece%'`` and anchored ``LIKE 'pi%'``.
* SQLite: the FTS5 table ``account_names`` (trigram tokenizer), one row per
  account with ``rowid = account_id`` and ``text`` = name, then the aliases;
  triggers on ``accounts`` keep it in sync. Text shorter than a trigram is looked
  up as a name prefix in the ``name`` B-tree index.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from itertools import product

from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process
from sqlalchemy import (
    BindParameter,
    ColumnElement,
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
)
from sqlalchemy import text as sql_text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.search_plan import Level, levels, normalise
from bot.store.tables import Account

SQLITE_FTS_TABLE = "account_names"
POSTGRES_TRIGRAM_INDEXES = ("ix_accounts_name_trgm", "ix_accounts_aliases_trgm")

# Accounts read from the index per query at most: enough to rank a typo's neighbours,
# few enough to cost well under a millisecond to fetch and rank.
_POOL = 100
# Case variants of a short prefix: 2 characters have at most 4.
_MAX_PREFIX_CHARACTERS = 2
# Sorts after every character, so [prefix, prefix + _LAST) is "starts with prefix".
_LAST = "\U0010ffff"

_SQLITE_LIKE = sql_text(
    f"SELECT rowid, text FROM {SQLITE_FTS_TABLE} WHERE text LIKE :contains ESCAPE '\\' "
    "LIMIT :limit"
)
_SQLITE_MATCH = sql_text(
    f"SELECT rowid, text FROM {SQLITE_FTS_TABLE} WHERE {SQLITE_FTS_TABLE} MATCH :query LIMIT :limit"
)


async def candidate_ids(session: AsyncSession, text: str, limit: int) -> list[int]:
    """Up to ``limit`` account ids that may be what ``text`` means, best guesses first.

    An exact ``external_id`` or name comes first; then names and aliases that contain
    ``text``'s words, or most of them, or most of each.
    """
    typed = " ".join(text.split())
    if not typed or limit <= 0:
        return []
    found = list(await session.scalars(_exact_ids(), {"typed": typed, "limit": limit}))
    needle = normalise(typed)
    postgres = session.get_bind().dialect.name == "postgresql"
    pool: dict[int, str] = {}
    plan = list(levels(needle))
    want = max(_POOL, limit)
    for strictest, level in enumerate(plan):
        rows = await (_postgres_level if postgres else _sqlite_level)(session, level, want)
        pool.update(rows)
        # Names containing everything typed are what was meant: looser levels would
        # only add worse guesses, at the cost of the slowest queries.
        if len(pool) >= limit or (strictest == 0 and pool):
            break
    if not plan:  # shorter than a trigram: names starting with it, then containing it
        prefix = _postgres_prefix if postgres else _sqlite_prefix
        pool.update(await prefix(session, needle, want))
        if len(pool) < limit:
            within = _postgres_within if postgres else _sqlite_within
            pool.update(await within(session, needle, want))
    return list(dict.fromkeys([*found, *_ranked(needle, pool, limit)]))[:limit]


@functools.cache
def _exact_ids() -> Select[int]:
    # Built once: building a statement costs more than running this one.
    typed: BindParameter[str] = bindparam("typed")
    exact = or_(Account.external_id == typed, Account.name == typed)
    return select(Account.id).where(exact).order_by(Account.id).limit(bindparam("limit"))


def _ranked(needle: str, pool: dict[int, str], limit: int) -> list[int]:
    best = process.extract(
        needle, pool, scorer=fuzz.WRatio, processor=default_process, limit=len(pool)
    )
    # Equal scores keep the index's order (ids ascending), so results are repeatable.
    best.sort(key=lambda match: (-match[1], match[2]))
    return [account_id for _, _, account_id in best[:limit]]


async def _sqlite_level(session: AsyncSession, level: Level, limit: int) -> dict[int, str]:
    query = " AND ".join("(" + " OR ".join(map(_fts_phrase, clause)) + ")" for clause in level)
    result = await session.execute(_SQLITE_MATCH, {"query": query, "limit": limit})
    return {account_id: text for account_id, text in result.all()}


async def _sqlite_prefix(session: AsyncSession, needle: str, limit: int) -> dict[int, str]:
    # The B-tree on name compares case-sensitively, so ask for each way of writing
    # the prefix ("ac": ac, aC, Ac, AC): each is one range of the index.
    ranges = [
        select(Account.id, Account.name).where(
            Account.name >= variant, Account.name < variant + _LAST
        )
        for variant in _case_variants(needle[:_MAX_PREFIX_CHARACTERS])
    ]
    query = union(*ranges).limit(limit)
    return {account_id: name for account_id, name in (await session.execute(query)).all()}


async def _sqlite_within(session: AsyncSession, needle: str, limit: int) -> dict[int, str]:
    # No index answers "contains these two characters"; this reads names until it has
    # enough, which for one or two characters is rarely far (and never over a limit).
    result = await session.execute(
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


async def _postgres_level(session: AsyncSession, level: Level, limit: int) -> dict[int, str]:
    condition = and_(*(or_(*map(_postgres_contains, clause)) for clause in level))
    return await _postgres_pool(session, condition, limit)


async def _postgres_prefix(session: AsyncSession, needle: str, limit: int) -> dict[int, str]:
    name, _ = _postgres_searched()
    # pg_trgm pads an anchored pattern, so even one or two characters use the index.
    condition = name.like(f"{_escape_like(needle)}%", escape="\\")
    return await _postgres_pool(session, condition, limit)


async def _postgres_within(session: AsyncSession, needle: str, limit: int) -> dict[int, str]:
    return await _postgres_pool(session, _postgres_contains(needle), limit)


async def _postgres_pool(
    session: AsyncSession, condition: ColumnElement[bool], limit: int
) -> dict[int, str]:
    # The planner costs trigram LIKE as cheap to check row by row and, with a LIMIT,
    # would scan the table hoping to stop early; for a rare name that reads it all.
    # Within this transaction only, it must use the indexes.
    await session.execute(sql_text("SET LOCAL enable_seqscan = off"))
    shown = Account.name + literal(" ") + cast(Account.aliases, Text)
    query = select(Account.id, shown).where(condition).limit(limit)
    return {account_id: text for account_id, text in (await session.execute(query)).all()}


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
    await session.execute(
        sql_text(f"INSERT INTO {SQLITE_FTS_TABLE}({columns}) VALUES ({command})")
    )
