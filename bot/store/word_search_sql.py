"""The statements of a word search (:mod:`bot.store.word_search`), per database.

Both databases hold the same word tables, so the statements are the same but for how
a list of words is bound and looked up, and where an account's name is read from.
Every list is looked up word by word in a primary key, a bounded number of rows each,
whatever the planner's statistics say: so a search costs a few index lookups however
many accounts there are.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import TextClause, text

# Typed words whose accounts one pool statement counts together.
LISTS = 4
# How much a typed word itself counts in an account's score, and a word it may stand for.
EXACT, NEAR = 2, 1

WordList = tuple[list[str], list[str]]  # a typed word's own word (or none), and the rest

# Reads "the rows of a table whose key column is one of a list of words":
# (list parameter, table, key column, columns read, limit or None) -> SQL.
Probe = Callable[[str, str, str, str, str | None], str]


@dataclass(frozen=True)
class Statements:
    """The statements of a search on one database, each built once.

    ``first``: the accounts named exactly ``:typed`` (rows without a word, whose number is
    the account id), then each indexed word among ``:keys`` (as typed, and their variants'
    words), ``:parts`` and the words starting with ``:prefix``, with its account count.

    ``pool``: the accounts of up to :data:`LISTS` typed words (each typed word's own
    word, and the indexed words it may stand for otherwise, bound by
    :attr:`pool_parameters`), those sharing the most typed words first, an exact word
    counting twice; up to ``:scan`` accounts read per word list (and ``:cap`` in all on
    PostgreSQL), ``:limit`` returned.

    ``checked``: the accounts of ``:first`` (up to ``:scan`` of them), those that also
    have one of ``:second`` first, up to ``:limit``.

    Both pool statements return (account id, name, aliases, score) rows, the score
    saying how much of what was typed an account has: the sum of its lists' weights, or
    whether it has the second word.
    """

    first: TextClause
    pool: TextClause
    checked: TextClause
    array: Callable[[list[str]], Any]  # how a list of words is bound
    # The pool's parameters for each typed word's (own words, other words), rarest first.
    pool_parameters: Callable[[list[WordList]], dict[str, Any]]
    shown: Callable[[str, Any], str]  # the text a match is ranked on, from a pool row


def _first_sql(probe: Probe, no_word: str, external_id_is_typed: str) -> str:
    exact = (
        f"SELECT {no_word} AS word, id AS accounts FROM (SELECT id FROM ("
        f"SELECT id FROM accounts WHERE {external_id_is_typed} UNION ALL "
        "SELECT id FROM accounts WHERE name = :typed) AS named "
        "ORDER BY id LIMIT :limit) AS exact"
    )
    as_typed = probe(":keys", "name_vocabulary", "word", "word, accounts", None)
    parts = probe(":parts", "name_vocabulary", "word", "word, accounts", None)
    # A count per variant's word, looked up one by one: a join left to the planner may
    # hash the whole vocabulary when it misjudges how many variants match.
    slipped = (
        "SELECT v.word, (SELECT n.accounts FROM name_vocabulary n WHERE n.word = v.word) "
        f"FROM ({probe(':keys', 'name_word_variants', 'variant', 'word', None)}) AS v"
    )
    # The prefix range only when there is a prefix: an empty one would be every word.
    longer = (
        "SELECT word, accounts FROM name_vocabulary "
        "WHERE :prefix <> '' AND word >= :prefix AND word < :prefix_end "
        "ORDER BY word LIMIT :n"
    )
    arms = [exact, as_typed, parts, slipped, longer]
    return " UNION ALL ".join(f"SELECT * FROM ({arm}) AS arm{i}" for i, arm in enumerate(arms))


def _listed(probe: Probe, array: str, weight: int) -> str:
    accounts = probe(array, "name_words", "word", "account_id", ":scan")
    return f"SELECT DISTINCT account_id, {weight} AS weight FROM ({accounts}) AS listed"


def _pool_sql(probe: Probe) -> str:
    """SQLite: one arm per typed word and kind, each read up to ``:scan`` accounts."""
    arms = [
        _listed(probe, f":{kind}{i}", weight)
        for i in range(1, LISTS + 1)
        for kind, weight in (("exact", EXACT), ("near", NEAR))
    ]
    return (
        f"SELECT account_id, sum(weight) AS score FROM ({' UNION ALL '.join(arms)}) AS shared "
        "GROUP BY account_id ORDER BY score DESC, account_id LIMIT :limit"
    )


def _pool_arms(lists: list[WordList], array: Callable[[list[str]], Any]) -> dict[str, Any]:
    parameters: dict[str, Any] = {}
    for i in range(LISTS):
        own, others = lists[i] if i < len(lists) else ([], [])
        parameters[f"exact{i + 1}"] = array(own)
        parameters[f"near{i + 1}"] = array(others)
    return parameters


# PostgreSQL plans every arm of a statement anew each time: eight arms took longer to
# plan than to run. So every typed word's words go in one list, each word with its typed
# word's number and weight, looked up one by one, and the whole read is bounded.
_POSTGRES_POOL = (
    "SELECT account_id, sum(weight) AS score FROM ("
    "SELECT account_id, list, max(weight) AS weight FROM ("
    "SELECT found.account_id, typed.list, typed.weight FROM unnest("
    "CAST(:words AS varchar[]), CAST(:lists AS integer[]), CAST(:weights AS integer[])"
    ") AS typed(key, list, weight) CROSS JOIN LATERAL (SELECT account_id FROM name_words "
    "WHERE word = typed.key LIMIT :scan) AS found LIMIT :cap) AS hits "
    "GROUP BY account_id, list) AS per_list "
    "GROUP BY account_id ORDER BY score DESC, account_id LIMIT :limit"
)


def _postgres_pool_parameters(lists: list[WordList]) -> dict[str, Any]:
    words: list[str] = []
    numbers: list[int] = []
    weights: list[int] = []
    for number, (own, others) in enumerate(lists, 1):
        for weight, listed in ((EXACT, own), (NEAR, others)):
            words += listed
            numbers += [number] * len(listed)
            weights += [weight] * len(listed)
    # The rarest words' lists come first, so the bound cuts the commonest.
    return {"words": words, "lists": numbers, "weights": weights}


def _checked_sql(probe: Probe, has_one_of: Callable[[str, str], str]) -> str:
    first = probe(":first", "name_words", "word", "account_id", ":scan")
    return (
        "SELECT account_id, score FROM (SELECT account_id, CASE WHEN "
        f"{has_one_of(':second', 'one.account_id')} THEN 1 ELSE 0 END AS score FROM "
        f"(SELECT DISTINCT account_id FROM ({first}) AS listed) AS one) AS checked "
        "ORDER BY score DESC, account_id LIMIT :limit"
    )


def _best(ids: str) -> str:
    """The accounts of a query of ids and scores but those lacking a whole typed word
    (an exact word's weight) that the best have: no name that lacks a word the best
    names have is what was meant, and reading their names would cost most of a pool."""
    return (
        "SELECT account_id, score FROM (SELECT account_id, score, max(score) OVER () AS best "
        f"FROM ({ids}) AS ranked) AS scored WHERE score > best - {EXACT}"
    )


def _statements(
    probe: Probe,
    has_one_of: Callable[[str, str], str],
    no_word: str,
    external_id_is_typed: str,
    pool: str,
    pool_parameters: Callable[[list[WordList]], dict[str, Any]],
    read: Callable[[str], str],
    array: Callable[[list[str]], Any],
    shown: Callable[[str, Any], str],
) -> Statements:
    """The statements, given how to read rows by a list of keys, how to ask whether an
    account has one of a list of words, a word-typed NULL, the condition that an account's
    external id is ``:typed`` ignoring case (as its index answers), the pool's query and
    parameters, and how to read the accounts (id, name, aliases, score) of a query of ids
    and scores."""
    return Statements(
        first=text(_first_sql(probe, no_word, external_id_is_typed)),
        pool=text(read(pool)),
        checked=text(read(_checked_sql(probe, has_one_of))),
        array=array,
        pool_parameters=pool_parameters,
        shown=shown,
    )


def _sqlite_probe(array: str, table: str, key: str, columns: str, limit: str | None) -> str:
    # SQLite looks each value of an IN list up in the key's index.
    bounded = f" LIMIT {limit}" if limit else ""
    each = f"IN (SELECT value FROM json_each({array}))"
    return f"SELECT {columns} FROM {table} WHERE {key} {each}{bounded}"


def _sqlite() -> Statements:
    # The FTS table of the substring index holds each account's name and aliases as one
    # short row: far cheaper to read than the account's own row with all its facts.
    return _statements(
        _sqlite_probe,
        # SQLite runs a correlated EXISTS row by row, by the primary key.
        lambda array, account: (
            f"EXISTS (SELECT 1 FROM name_words other WHERE other.account_id = {account} "
            f"AND other.word IN (SELECT value FROM json_each({array})))"
        ),
        "NULL",
        "external_id = :typed COLLATE NOCASE",
        _pool_sql(_sqlite_probe),
        lambda lists: _pool_arms(lists, json.dumps),
        lambda ids: (
            "SELECT found.account_id, names.text, NULL, found.score FROM "
            f"({_best(ids)}) AS found JOIN account_names AS names ON names.rowid = found.account_id"
        ),
        json.dumps,
        lambda found, _: found,
    )


def _postgres_probe(array: str, table: str, key: str, columns: str, limit: str | None) -> str:
    # One index lookup per key: "= ANY(list)" left to the planner may be read as a scan
    # of the whole table after a bulk load, before the statistics catch up (OFFSET 0
    # keeps the lookups apart).
    each = f" LIMIT {limit}" if limit else " OFFSET 0"
    bounded = f" LIMIT {limit}" if limit else ""
    return (
        f"SELECT found.* FROM unnest(CAST({array} AS varchar[])) AS typed(key) "
        f"CROSS JOIN LATERAL (SELECT {columns} FROM {table} WHERE {key} = typed.key{each}) "
        f"AS found{bounded}"
    )


def _postgres() -> Statements:
    # Each account by its key, one by one (OFFSET 0 keeps the planner from turning this
    # into a join it may misjudge into reading every account).
    return _statements(
        _postgres_probe,
        # Each account by itself, each of its words by the primary key: an EXISTS left to
        # the planner may hash every account of the second word (tens of thousands), or
        # look the account up by another index and read each of its rows from the table.
        # An EXISTS with an OFFSET is not turned into a join.
        lambda array, account: (
            f"EXISTS (SELECT 1 FROM unnest(CAST({array} AS varchar[])) AS second(word) "
            "CROSS JOIN LATERAL (SELECT 1 FROM name_words other WHERE other.word = second.word "
            f"AND other.account_id = {account} LIMIT 1) AS has OFFSET 0)"
        ),
        "CAST(NULL AS varchar)",
        "lower(external_id) = lower(CAST(:typed AS varchar))",
        _POSTGRES_POOL,
        _postgres_pool_parameters,
        # The name and aliases as one text, as SQLite's name index holds them: decoding
        # every alias list in Python cost more than the rest of reading the pool.
        lambda ids: (
            f"SELECT found.account_id, a.shown, NULL, found.score FROM ({_best(ids)}) AS found "
            "CROSS JOIN LATERAL (SELECT concat_ws(' ', name, (SELECT string_agg(alias, ' ') "
            "FROM jsonb_array_elements_text(aliases) AS alias)) AS shown FROM accounts "
            "WHERE id = found.account_id OFFSET 0) AS a"
        ),
        lambda words: words,
        lambda found, _: found,
    )


SQLITE = _sqlite()
POSTGRES = _postgres()
