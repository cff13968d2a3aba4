"""Accounts whose names share words with what someone typed, from the word index.

Two statements whatever the table's size. The first looks every typed word up in the
vocabulary: as typed, one slip away (see :mod:`bot.store.name_words`) and, for the
last word, as the start of a longer one, each with the number of accounts it names.
The second reads accounts of the rarest typed word: all of them when it names few;
otherwise those that also have another typed word, looking at a bounded number, so
a search of only common words ("foods inc") costs no more than a rare one.

The caller ranks the pool; when nothing in it is close, it asks the substring index
(:mod:`bot.store.search`) as well.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from rapidfuzz.distance import OSA
from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.name_index import alias_list
from bot.store.name_words import MIN_VARIANT_WORD, variants, words

# Accounts read per search at most: enough to rank every account sharing a rare word.
POOL = 100
# A typed word naming at most this many accounts is rare enough to read them all...
RARE = 100
# ...otherwise the accounts that have it and another typed word are read, looking at
# this many of its accounts at most, so a search of only common words stays bounded.
SCAN = 1_000
# Typed words looked at: a pasted paragraph must not cost more than a name.
MAX_WORDS = 6
# A typed word may be two words run together, each at least this long.
MIN_PART = 3
# Longer words that start with the last typed word, when it is at least this long.
MIN_PREFIX = 3
PREFIX_WORDS = 30
# Sorts after every character, so [prefix, prefix + _LAST) is "starts with prefix".
_LAST = "\U0010ffff"


@dataclass(frozen=True, slots=True)
class TypedWord:
    """A typed word and the indexed words it may stand for, with their account counts."""

    typed: str
    words: dict[str, int]

    @property
    def accounts(self) -> int:
        return sum(self.words.values())


Step = tuple[TextClause, dict[str, Any]]  # a statement to run and its parameters
Search = Generator[Step, list[Any], dict[int, str]]  # sent each step's rows


def word_search(needle: str, postgres: bool) -> Search:
    """The steps of finding accounts (id -> name and aliases) sharing the rarest of
    ``needle``'s words. Two steps, or none when it has no words.

    A generator, so the same search runs in one trip to SQLite's thread
    (:func:`run_steps`) or statement by statement on PostgreSQL.
    """
    typed = words(needle)[:MAX_WORDS]
    if not typed:
        return {}
    sql = _POSTGRES if postgres else _SQLITE
    found = _typed_words(typed, (yield _vocabulary_step(sql, typed)))
    usable = sorted((t for t in found if t.words), key=lambda t: t.accounts)
    if not usable:
        return {}
    rarest, others = usable[0], usable[1:]
    if rarest.accounts <= RARE or not others:
        chosen = list(rarest.words)
        if others and rarest.accounts + others[0].accounts <= RARE:
            chosen += others[0].words  # in case the rarest word is the one mistyped
        parameters: dict[str, Any] = {"words": sql.array(chosen), "limit": POOL}
        rows = yield sql.pool, parameters
    else:
        second = others[0]
        parameters = {
            "first": sql.array(list(rarest.words)),
            "second": sql.array(list(second.words)),
            "scan": SCAN,
            "limit": POOL,
        }
        # Both typed words name many accounts: when the second names few enough, the
        # two lists are read and intersected; otherwise the first one's accounts are
        # checked for the second word, a bounded number of them.
        rows = yield (sql.both if second.accounts <= SCAN else sql.checked), parameters
    return {account_id: sql.shown(name, aliases) for account_id, name, aliases in rows}


def run_steps(
    search: Search, run: Callable[[TextClause, dict[str, Any]], list[Any]]
) -> dict[int, str]:
    """Run a search's steps with ``run`` (statement, parameters -> rows)."""
    try:
        step = next(search)
        while True:
            step = search.send(run(*step))
    except StopIteration as done:
        result: dict[int, str] = done.value
        return result


async def word_pool(connection: AsyncConnection, needle: str) -> dict[int, str]:
    """:func:`word_search` statement by statement on ``connection``."""
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        # Without fresh statistics (after a bulk load) the planner may expect thousands
        # of matches and, with a LIMIT, scan a whole table hoping to stop early.
        await connection.execute(_INDEXES_ONLY)
    search = word_search(needle, postgres)
    try:
        step = next(search)
        while True:
            rows = (await connection.execute(*step)).all()
            step = search.send(list(rows))
    except StopIteration as done:
        result: dict[int, str] = done.value
        return result


def _vocabulary_step(sql: _Dialect, typed: list[str]) -> Step:
    words_and_parts = [
        *typed,
        *(part for word in typed for split in _splits(word) for part in split),
    ]
    keys = sorted({key for word in words_and_parts for key in (word, *variants(word))})
    last = typed[-1]
    prefix = last if len(last) >= MIN_PREFIX else ""
    parameters = {
        "keys": sql.array(keys),
        "prefix": prefix,
        "prefix_end": prefix + _LAST,
        "n": PREFIX_WORDS,
    }
    return sql.vocabulary, parameters


def _typed_words(typed: list[str], rows: list[Any]) -> list[TypedWord]:
    """Each typed word with the indexed words it may stand for; a typed word that is two
    indexed words run together ("kovirafoods") stands for both."""
    counts = {word: accounts for word, accounts in rows if accounts}
    last = typed[-1]
    found: list[TypedWord] = []
    for t in typed:
        word = TypedWord(t, {w: n for w, n in counts.items() if _stands_for(t, w, t is last)})
        parts = None if t in counts else _run_together(t, counts, bool(word.words))
        if parts is None:
            found.append(word)
        else:
            found.extend(TypedWord(part, {part: counts[part]}) for part in parts)
    return found


def _splits(word: str) -> list[tuple[str, str]]:
    """The ways to cut ``word`` in two words of at least :data:`MIN_PART` characters."""
    if len(word) < 2 * MIN_PART or not variants(word):
        return []
    return [(word[:i], word[i:]) for i in range(MIN_PART, len(word) - MIN_PART + 1)]


def _run_together(
    word: str, counts: dict[str, int], has_neighbours: bool
) -> tuple[str, str] | None:
    """The two indexed words ``word`` is made of, if it is; a typo's neighbours win over
    short parts, which are found inside many a misspelt word."""
    for first, second in _splits(word):
        both_indexed = first in counts and second in counts
        if both_indexed and (
            not has_neighbours or min(len(first), len(second)) >= MIN_VARIANT_WORD
        ):
            return first, second
    return None


def _stands_for(typed: str, word: str, last: bool) -> bool:
    if typed == word:
        return True
    if last and len(typed) >= MIN_PREFIX and word.startswith(typed):
        return True
    # A slip in a short word makes another word: "hsa" is not "hasa".
    if len(typed) < MIN_VARIANT_WORD:
        return False
    return OSA.distance(typed, word, score_cutoff=1) <= 1


@dataclass(frozen=True)
class _Dialect:
    """The statements of a search on one database, each built once."""

    vocabulary: TextClause
    pool: TextClause
    both: TextClause
    checked: TextClause
    array: Callable[[list[str]], Any]  # how a list of words is bound
    shown: Callable[[str, Any], str]  # the text a match is ranked on, from the pool row


def _words_in(array: str) -> str:
    return f"IN (SELECT value FROM json_each({array}))"


_LONGER = (
    "SELECT * FROM (SELECT word, accounts FROM name_vocabulary "
    "WHERE :prefix <> '' AND word >= :prefix AND word < :prefix_end "
    "ORDER BY word LIMIT :n) AS longer"
)


def _vocabulary_sql(words_in: Callable[[str], str]) -> TextClause:
    # The prefix range only when there is a prefix: an empty one would be every word.
    return text(
        f"SELECT word, accounts FROM name_vocabulary WHERE word {words_in(':keys')} "
        "UNION ALL "
        # A count per variant's word, looked up one by one: a join left to the planner
        # may hash the whole vocabulary when it misjudges how many variants match.
        "SELECT v.word, (SELECT n.accounts FROM name_vocabulary n WHERE n.word = v.word) "
        f"FROM name_word_variants v WHERE v.variant {words_in(':keys')} "
        f"UNION ALL {_LONGER}"
    )


def _accounts_with(words_in: Callable[[str], str]) -> tuple[str, str, str]:
    """The ids having one of ``:words``; those having one of ``:first`` and one of
    ``:second``, by intersecting both lists; the same, by checking the first list."""
    one = f"SELECT account_id FROM name_words WHERE word {words_in(':words')} LIMIT :limit"

    def listed(words: str) -> str:
        return f"SELECT account_id FROM name_words WHERE word {words_in(words)} LIMIT :scan"

    both = (
        f"SELECT * FROM ({listed(':first')}) AS one INTERSECT "
        f"SELECT * FROM ({listed(':second')}) AS other LIMIT :limit"
    )
    checked = (
        f"SELECT one.account_id FROM ({listed(':first')}) AS one WHERE EXISTS (SELECT 1 "
        "FROM name_words other WHERE other.account_id = one.account_id "
        f"AND other.word {words_in(':second')}) LIMIT :limit"
    )
    return one, both, checked


def _dialect(
    words_in: Callable[[str], str],
    read: Callable[[str], str],
    array: Callable[[list[str]], Any],
    shown: Callable[[str, Any], str],
) -> _Dialect:
    """The statements, given how to say "word in this list" and how to read the
    accounts (id, name, aliases) of a query of ids."""
    one, both, checked = _accounts_with(words_in)
    return _Dialect(
        vocabulary=_vocabulary_sql(words_in),
        pool=text(read(one)),
        both=text(read(both)),
        checked=text(read(checked)),
        array=array,
        shown=shown,
    )


def _sqlite() -> _Dialect:
    # The FTS table of the substring index holds each account's name and aliases as one
    # short row: far cheaper to read than the account's own row with all its facts.
    return _dialect(
        _words_in,
        lambda ids: f"SELECT rowid, text, NULL FROM account_names WHERE rowid IN ({ids})",
        json.dumps,
        lambda found, _: found,
    )


def _postgres() -> _Dialect:
    # Each account by its key, one by one (OFFSET 0 keeps the planner from turning this
    # into a join it may misjudge into reading every account).
    return _dialect(
        lambda array: f"= ANY(CAST({array} AS varchar[]))",
        lambda ids: (
            f"SELECT found.account_id, a.name, a.aliases FROM ({ids}) AS found "
            "CROSS JOIN LATERAL (SELECT name, aliases FROM accounts "
            "WHERE id = found.account_id OFFSET 0) AS a"
        ),
        lambda words: words,
        lambda name, aliases: " ".join([name, *alias_list(aliases)]),
    )


_INDEXES_ONLY = text("SET LOCAL enable_seqscan = off")  # until the transaction ends
_SQLITE = _sqlite()
_POSTGRES = _postgres()
