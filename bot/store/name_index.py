"""Keeping the word index of account names in step with the accounts.

Three tables (see :mod:`bot.store.tables`): ``name_words`` holds one row per word of
an account's name or aliases; ``name_vocabulary`` every word with the number of
accounts it names, so a search can start from its rarest word; ``name_word_variants``
every known word with one character left out, so a search finds words one slip
away (see :mod:`bot.store.name_words`).

Accounts written through the ORM are indexed when the session flushes them (see
:func:`_index_flushed`); bulk writes that bypass it call :func:`index_accounts` in
their transaction, and a bulk load calls :func:`rebuild` once at its end. Everything here is
synchronous on a SQLAlchemy ``Connection``: an async caller runs it through
``AsyncSession.run_sync``, a migration directly.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any

from sqlalchemy import Connection, bindparam, event, inspect, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, UOWTransaction

from bot.store.name_words import account_words, variants
from bot.store.tables import Account

# (account id, name, aliases)
Named = tuple[int, str, Sequence[str]]

_CHUNK = 5_000  # rows per statement when reading or writing many
_READ_CHUNK = 500  # ids per IN list


def index_accounts(connection: Connection, accounts: Iterable[Named], *, new: bool = False) -> None:
    """Index these accounts' current names and aliases, replacing what was indexed.

    ``new``: the accounts were just created, so nothing of theirs is indexed yet.
    """
    wanted = {
        account_id: set(account_words(name, aliases)) for account_id, name, aliases in accounts
    }
    if not wanted:
        return
    stored = {} if new else _stored_words(connection, list(wanted))
    added = [(w, i) for i, ws in wanted.items() for w in sorted(ws - stored.get(i, set()))]
    removed = [(w, i) for i, ws in stored.items() for w in sorted(ws - wanted.get(i, set()))]
    counts: Counter[str] = Counter(w for w, _ in added)
    counts.subtract(w for w, _ in removed)
    _delete_words(connection, removed)
    _insert_words(connection, added)
    _count(connection, counts)


def rebuild(connection: Connection) -> None:
    """Index every account afresh: after a bulk load, or to build the index at first.

    Memory stays bounded however many accounts there are: accounts are read, and
    variants written, a chunk at a time, and the database counts the words itself.
    """
    for table in ("name_words", "name_vocabulary", "name_word_variants"):
        connection.execute(text(f"DELETE FROM {table}"))
    last = 0
    while rows := connection.execute(_ACCOUNTS_AFTER, {"last": last, "n": _CHUNK}).all():
        last = rows[-1][0]
        added = [
            (word, account_id)
            for account_id, name, aliases in rows
            for word in account_words(name, alias_list(aliases))
        ]
        _insert_words(connection, added)
    connection.execute(
        text(
            "INSERT INTO name_vocabulary (word, accounts) "
            "SELECT word, count(*) FROM name_words GROUP BY word"
        )
    )
    after = ""
    while words := list(connection.execute(_WORDS_AFTER, {"after": after, "n": _CHUNK}).scalars()):
        after = words[-1]
        _insert_variants(connection, words)
    if connection.dialect.name == "postgresql":  # the planner's statistics, for the new rows
        connection.execute(text("ANALYZE name_words, name_vocabulary, name_word_variants"))


_ACCOUNTS_AFTER = text(
    "SELECT id, name, aliases FROM accounts WHERE id > :last ORDER BY id LIMIT :n"
)
_WORDS_AFTER = text("SELECT word FROM name_vocabulary WHERE word > :after ORDER BY word LIMIT :n")


def alias_list(value: Any) -> list[str]:
    """The aliases column read with text(): JSON text on SQLite, decoded on PostgreSQL."""
    if isinstance(value, str):
        decoded = json.loads(value)
        return [str(alias) for alias in decoded] if isinstance(decoded, list) else []
    return [str(alias) for alias in value or ()]


def _stored_words(connection: Connection, ids: list[int]) -> dict[int, set[str]]:
    found: defaultdict[int, set[str]] = defaultdict(set)
    for start in range(0, len(ids), _READ_CHUNK):
        chunk = ids[start : start + _READ_CHUNK]
        query = text(
            "SELECT account_id, word FROM name_words WHERE account_id IN "
            f"({', '.join(str(int(i)) for i in chunk)})"
        )
        for account_id, word in connection.execute(query):
            found[account_id].add(word)
    return found


def _insert_words(connection: Connection, rows: Sequence[tuple[str, int]]) -> None:
    _write_many(
        connection,
        "INSERT INTO name_words (word, account_id) VALUES (?, ?)",
        "INSERT INTO name_words (word, account_id) "
        "SELECT * FROM unnest(CAST($1 AS varchar[]), CAST($2 AS integer[]))",
        rows,
    )


def _delete_words(connection: Connection, rows: Sequence[tuple[str, int]]) -> None:
    _write_many(
        connection,
        "DELETE FROM name_words WHERE word = ? AND account_id = ?",
        "DELETE FROM name_words WHERE (word, account_id) IN "
        "(SELECT * FROM unnest(CAST($1 AS varchar[]), CAST($2 AS integer[])))",
        rows,
    )


def _count(connection: Connection, counts: Mapping[str, int]) -> None:
    """Add ``counts`` to the vocabulary; words new to it get their variants indexed.

    Words are written in sorted order, so concurrent transactions on PostgreSQL lock
    vocabulary rows in the same order and cannot deadlock on them.
    """
    changed = sorted((word, n) for word, n in counts.items() if n)
    if not changed:
        return
    known = _known(connection, [word for word, _ in changed])
    _write_many(
        connection,
        "INSERT INTO name_vocabulary (word, accounts) VALUES (?, ?) ON CONFLICT (word) "
        "DO UPDATE SET accounts = name_vocabulary.accounts + excluded.accounts",
        "INSERT INTO name_vocabulary (word, accounts) "
        "SELECT * FROM unnest(CAST($1 AS varchar[]), CAST($2 AS integer[])) "
        "ON CONFLICT (word) DO UPDATE SET accounts = name_vocabulary.accounts + excluded.accounts",
        changed,
    )
    # Variants outlive their word's last account: harmless, as a search reads counts.
    _insert_variants(connection, [word for word, n in changed if n > 0 and word not in known])


def _insert_variants(connection: Connection, words: Sequence[str]) -> None:
    rows = sorted({(variant, word) for word in words for variant in variants(word)})
    _write_many(
        connection,
        "INSERT INTO name_word_variants (variant, word) VALUES (?, ?) ON CONFLICT DO NOTHING",
        "INSERT INTO name_word_variants (variant, word) "
        "SELECT * FROM unnest(CAST($1 AS varchar[]), CAST($2 AS varchar[])) "
        "ON CONFLICT DO NOTHING",
        rows,
    )


def _known(connection: Connection, words: list[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(words, _READ_CHUNK):
        query = text("SELECT word FROM name_vocabulary WHERE word IN :words").bindparams(
            bindparam("words", expanding=True)
        )
        found.update(connection.execute(query, {"words": chunk}).scalars())
    return found


def _write_many(
    connection: Connection, sqlite_sql: str, postgres_sql: str, rows: Sequence[tuple[Any, ...]]
) -> None:
    """One statement per chunk of rows: an executemany on SQLite, arrays on PostgreSQL."""
    postgres = connection.dialect.name == "postgresql"
    for chunk in _chunks(rows, _CHUNK):
        if postgres:
            columns = tuple(list(column) for column in zip(*chunk, strict=True))
            connection.exec_driver_sql(postgres_sql, columns)
        else:
            connection.exec_driver_sql(sqlite_sql, list(chunk))


def _chunks(items: Sequence[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


async def index_accounts_of(
    session: AsyncSession, accounts: Iterable[Named], *, new: bool = False
) -> None:
    """:func:`index_accounts` in an async session's transaction."""
    chosen = list(accounts)
    await session.run_sync(lambda sync: index_accounts(sync.connection(), chosen, new=new))


async def rebuild_of(session: AsyncSession) -> None:
    """:func:`rebuild` in an async session's transaction."""
    await session.run_sync(lambda sync: rebuild(sync.connection()))


@event.listens_for(Session, "after_flush")
def _index_flushed(session: Session, _: UOWTransaction) -> None:
    """Index the accounts a flush added, or whose name or aliases it changed.

    After a flush the session still lists what it flushed and the attributes still
    hold their history, so the changed ones can be told from the rest.
    """
    added = [_named(a) for a in session.new if isinstance(a, Account)]
    renamed = [_named(a) for a in session.dirty if isinstance(a, Account) and _renamed(a)]
    if added:
        index_accounts(session.connection(), added, new=True)
    if renamed:
        index_accounts(session.connection(), renamed)


def _named(account: Account) -> Named:
    return account.id, account.name, list(account.aliases or ())


def _renamed(account: Account) -> bool:
    attributes = inspect(account).attrs
    return attributes.name.history.has_changes() or attributes.aliases.history.has_changes()
