"""Find accounts whose name or alias looks like what someone typed.

This only narrows the field: it returns a short list of candidate ids straight
from a database index, and the caller ranks them precisely (e.g. with rapidfuzz)
without ever loading every account name.

The index differs per database, which is why the migrations create it by hand:

* PostgreSQL: pg_trgm GIN indexes on ``lower(name)`` and ``lower(aliases::text)``.
* SQLite: the FTS5 table ``account_names`` (trigram tokenizer), one row per
  account with ``rowid = account_id`` and ``text`` = name, then the aliases;
  triggers on ``accounts`` keep it in sync.
"""

from __future__ import annotations

from sqlalchemy import Text, cast, func, select, union
from sqlalchemy import text as sql_text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.tables import Account

SQLITE_FTS_TABLE = "account_names"
POSTGRES_TRIGRAM_INDEXES = ("ix_accounts_name_trgm", "ix_accounts_aliases_trgm")

# FTS5's trigram tokenizer cannot match anything shorter than a trigram.
_TRIGRAM = 3
# Bound the cost of one query when someone pastes a paragraph.
_MAX_TRIGRAMS = 64
_MAX_WORDS = 8

_SQLITE_MATCH = sql_text(
    f"SELECT account_id FROM {SQLITE_FTS_TABLE} WHERE {SQLITE_FTS_TABLE} MATCH :query "
    "ORDER BY rank, account_id LIMIT :limit"
)
_SQLITE_LIKE = sql_text(
    f"SELECT account_id FROM {SQLITE_FTS_TABLE} WHERE text LIKE :contains ESCAPE '\\' "
    "ORDER BY text LIKE :prefix ESCAPE '\\' DESC, length(text), account_id LIMIT :limit"
)


async def candidate_ids(session: AsyncSession, text: str, limit: int) -> list[int]:
    """Up to ``limit`` account ids that may be what ``text`` means, best guesses first.

    An exact ``external_id`` match comes first; then names and aliases that
    share trigrams or contain ``text``.
    """
    needle = " ".join(text.split())
    if not needle or limit <= 0:
        return []
    found = list(await session.scalars(select(Account.id).where(Account.external_id == needle)))
    if session.get_bind().dialect.name == "postgresql":
        found += await _postgres_candidates(session, needle.lower(), limit)
    else:
        found += await _sqlite_candidates(session, needle.lower(), limit)
    return list(dict.fromkeys(found))[:limit]


async def _postgres_candidates(session: AsyncSession, needle: str, limit: int) -> list[int]:
    # Written exactly like the index expressions so the planner can use them.
    name = func.lower(Account.name)
    aliases = func.lower(cast(Account.aliases, Text))
    contains = f"%{_escape_like(needle)}%"
    # LIKE covers substrings pg_trgm's word matching misses, such as part of a
    # Chinese name; below three characters it is all that can match at all.
    conditions = [name.like(contains, escape="\\"), aliases.like(contains, escape="\\")]
    if len(needle) >= _TRIGRAM:
        conditions.append(name.op("%")(needle))
        # Any one word may qualify a row, so "acme inc" still finds "Acme
        # Corporation"; the ordering below puts rows close to the whole text first.
        for word in [word for word in needle.split() if len(word) >= _TRIGRAM][:_MAX_WORDS]:
            conditions += [name.op("%>")(word), aliases.op("%>")(word)]
    # One SELECT per condition, not one OR: the planner costs trigram operators
    # as cheap and would rather scan the table than combine several index scans.
    matches = union(*(select(Account.id).where(condition) for condition in conditions))
    matched = matches.subquery()
    closeness = func.greatest(
        func.similarity(name, needle),
        func.word_similarity(needle, name),
        func.word_similarity(needle, aliases),
    )
    query = (
        select(Account.id)
        .join(matched, matched.c.id == Account.id)
        .order_by(
            closeness.desc(),
            name.like(f"{_escape_like(needle)}%", escape="\\").desc(),
            func.length(Account.name),
            Account.id,
        )
        .limit(limit)
    )
    return list(await session.scalars(query))


async def _sqlite_candidates(session: AsyncSession, needle: str, limit: int) -> list[int]:
    trigrams = _trigrams(needle)
    if trigrams:
        # Any shared trigram qualifies; bm25 ranks names sharing more of them
        # first, which tolerates typos and reordered words.
        query = " OR ".join(_fts_phrase(trigram) for trigram in trigrams)
        result = await session.execute(_SQLITE_MATCH, {"query": query, "limit": limit})
    else:
        escaped = _escape_like(needle)
        result = await session.execute(
            _SQLITE_LIKE,
            {"contains": f"%{escaped}%", "prefix": f"{escaped}%", "limit": limit},
        )
    return list(result.scalars())


def _trigrams(needle: str) -> list[str]:
    """The distinct trigrams of each word of ``needle`` that is long enough to have any."""
    grams = (
        word[start : start + _TRIGRAM]
        for word in needle.split()
        for start in range(len(word) - _TRIGRAM + 1)
    )
    return list(dict.fromkeys(grams))[:_MAX_TRIGRAMS]


def _fts_phrase(value: str) -> str:
    # A quoted FTS5 string is matched literally; quotes inside are doubled.
    return '"' + value.replace('"', '""') + '"'


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
