"""Accounts whose names share words with what someone typed, from the word index.

Two statements whatever the table's size. The first finds the accounts named exactly as
typed, and looks every typed word up in the vocabulary: as typed, one slip away (see
:mod:`bot.store.name_words`), as two words run together and, for the last word, as the
start of a longer one, each with the number of accounts it names.

The second reads the accounts of the rarest typed words, as many of them as together
name few enough accounts, and puts those having the most of them first: so a typo that
makes one typed word rare but wrong ("鼎盛盛科技", a character doubled) still finds the
name through its other words. When even the rarest typed word names many accounts, its
accounts that also have the next typed word come first, looking at a bounded number, so
a search of only common words ("foods inc") costs no more than a rare one.

The caller ranks the pool; when the words could not account for what was typed, it asks
the substring index (:mod:`bot.store.search`) as well.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from rapidfuzz.distance import OSA
from sqlalchemy import TextClause

from bot.store.name_words import MIN_VARIANT_WORD, is_pair, variants, words
from bot.store.reads import Reader
from bot.store.word_search_sql import LISTS, POSTGRES, SQLITE, Statements

# Accounts read per search at most: enough to rank every account sharing a rare word.
POOL = 60
# The rarest typed words are read together while they name at most this many accounts
# between them; a list is read this far at most.
SCAN = 1_000
# Accounts of the rarest typed word checked for the next one at most: each check is an
# index lookup of its own.
CHECK = 150
# Typed words looked at: a pasted paragraph must not cost more than a name.
MAX_WORDS = 6
# A typed word may be two words run together, the first at least this long...
MIN_PART = 3
# ...and the second at least this long: a legal form typed onto a name ("BrizelCo").
MIN_TAIL = 2
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

    def listed(self) -> list[str]:
        """Its indexed words, itself first when it is one."""
        return sorted(self.words, key=lambda word: (word != self.typed, word))

    def near(self) -> list[str]:
        """The indexed words it may stand for, but itself."""
        return sorted(word for word in self.words if word != self.typed)


@dataclass(frozen=True, slots=True)
class WordMatches:
    """What the word index found for some typed text."""

    exact: list[int]  # the accounts whose external id or name is the text, by id
    pool: dict[int, str]  # accounts sharing its words: id -> name and aliases, to rank
    # How much of what was typed each account of the pool has, most first: the typed
    # words among its words (a typed word itself counting twice, a word it may stand for
    # once), or whether it has the next typed word too.
    scores: dict[int, int]
    # Every typed word is an indexed word, or one slip from one (or two run together,
    # or the start of one), but for Chinese character pairs: when one is not, the
    # substring index may know better.
    complete: bool


Step = tuple[TextClause, dict[str, Any]]  # a statement to run and its parameters
Search = Generator[Step, list[Any], WordMatches]  # sent each step's rows


def word_search(typed: str, needle: str, limit: int, postgres: bool, *, words_too: bool) -> Search:
    """The steps of finding the accounts named exactly ``typed`` (up to ``limit``) and,
    when ``words_too``, those sharing ``needle``'s words. One step, or two when a typed
    word is in the index.

    A generator, so the same search runs in one trip to SQLite's thread
    (:func:`run_steps`) or statement by statement on PostgreSQL.
    """
    sql = POSTGRES if postgres else SQLITE
    looked_up = words(needle)[:MAX_WORDS] if words_too else []
    rows = yield _first_step(sql, typed, limit, looked_up)
    exact = sorted(number for word, number in rows if word is None)
    found = _typed_words(looked_up, [row for row in rows if row[0] is not None])
    # A character doubled or two swapped leaves pairs no name has; the name's other
    # pairs find it (and a substring index of three characters knows no more).
    complete = all(t.words or is_pair(t.typed) for t in found)
    usable = sorted((t for t in found if t.words), key=lambda t: t.accounts)
    if not usable:
        return WordMatches(exact, {}, {}, complete)
    rows = yield _pool_step(sql, usable)
    pool = {account_id: sql.shown(name, aliases) for account_id, name, aliases, _ in rows}
    scores = {account_id: int(score) for account_id, _, _, score in rows}
    return WordMatches(exact, pool, scores, complete)


def _pool_step(sql: Statements, usable: list[TypedWord]) -> Step:
    """Read the rarest typed words' accounts together while they name few enough; when
    the rarest alone names more than a pool holds (even as typed), check its accounts
    for the next."""
    chosen = usable[:1]
    for t in usable[1:LISTS]:
        if sum(c.accounts for c in chosen) + t.accounts > SCAN:
            break
        chosen.append(t)
    first = chosen[0]
    # The accounts the pool would take first: those of the typed word itself, if it is
    # an indexed word, which outscore those of the words it may stand for.
    head = first.words.get(first.typed) or first.accounts
    if len(chosen) == 1 and head > POOL and len(usable) > 1:
        second = usable[1]
        own = first.typed in first.words and first.words[first.typed] > POOL
        parameters: dict[str, Any] = {
            "first": sql.array([first.typed] if own else first.listed()),
            "second": sql.array(second.listed()),
            "scan": CHECK,
            "limit": POOL,
        }
        return sql.checked, parameters
    lists = [([t.typed] if t.typed in t.words else [], t.near()) for t in chosen]
    parameters = sql.pool_parameters(lists) | {"scan": SCAN, "cap": 2 * SCAN, "limit": POOL}
    return sql.pool, parameters


def run_steps(
    search: Search, run: Callable[[TextClause, dict[str, Any]], list[Any]]
) -> WordMatches:
    """Run a search's steps with ``run`` (statement, parameters -> rows)."""
    try:
        step = next(search)
        while True:
            step = search.send(run(*step))
    except StopIteration as done:
        result: WordMatches = done.value
        return result


async def run_steps_on(reader: Reader, search: Search) -> WordMatches:
    """:func:`run_steps` statement by statement with ``reader``."""
    try:
        step = next(search)
        while True:
            rows = await reader.rows(*step)
            step = search.send(list(rows))
    except StopIteration as done:
        result: WordMatches = done.value
        return result


def _first_step(sql: Statements, typed: str, limit: int, looked_up: list[str]) -> Step:
    """The exact matches, and what the index knows of each typed word: the word as typed
    (and each way of cutting it in two), its variants, and for the last word the longer
    words it starts."""
    keys = sorted({key for word in looked_up for key in (word, *variants(word))})
    # A word typed as two run together only counts when both parts are indexed words
    # as they stand (see _run_together): their own variants would find nothing it uses.
    cut = {part for word in looked_up for split in _splits(word) for part in split}
    last = looked_up[-1] if looked_up else ""
    prefix = last if len(last) >= MIN_PREFIX else ""
    parameters = {
        "typed": typed,
        "limit": limit,
        "keys": sql.array(keys),
        "parts": sql.array(sorted(cut - set(keys))),
        "prefix": prefix,
        "prefix_end": prefix + _LAST,
        "n": PREFIX_WORDS,
    }
    return sql.first, parameters


def _typed_words(typed: list[str], rows: list[Any]) -> list[TypedWord]:
    """Each typed word with the indexed words it may stand for; a typed word that is two
    indexed words run together ("kovirafoods") stands for both."""
    if not typed:
        return []
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
    """The ways to cut ``word`` in two words, of at least :data:`MIN_PART` and
    :data:`MIN_TAIL` characters."""
    if len(word) < MIN_PART + MIN_TAIL or not variants(word):
        return []
    return [(word[:i], word[i:]) for i in range(MIN_PART, len(word) - MIN_TAIL + 1)]


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
