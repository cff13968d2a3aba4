"""Rescoring every account, one batch per transaction: after a model activation, and
when time passing moved dated facts into other bands (:mod:`bot.service.regrading`).

A batch is read with one query, decoded into columns without a parse per value, scored
with ``score_columns``, and written back with one statement per table, so each account
costs a few microseconds of Python on top of what the database spends on its row.

Reading and scoring a batch takes about as long as writing one, and the two need
different resources: scoring needs Python, writing mostly the database. So the next
batch is read and scored on a connection of its own, without a lock, while the one
before is being written. A batch is written under the lock only after checking that no
account of its id range changed since it was read; if one did (someone edited it
meanwhile), the range is read and scored again under the lock, so no edit is lost or
overwritten with a score of facts that are gone.

The overlap only pays if the database works without waiting for Python. SQLite runs a
statement without holding the GIL but takes it back for every row it returns or binds,
and with Python busy each of those waits; so on both databases a batch comes back as one
JSON document built by the database, and each write to the accounts is one statement.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Table,
    Text,
    func,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.service.actor import Actor
from bot.service.bulk import (
    Move,
    StampWhenChanged,
    add_moves,
    copy_to_history,
    json_object_texts,
    lock_for_writing,
    update_columns,
)
from bot.service.columns import completeness, fact_columns
from bot.service.context import ServiceContext
from bot.store.enums import ScoreCause
from bot.store.tables import Account
from scoring import BulkScores, CompiledModel, score_columns

BATCH = 10_000
# SQLite reads a value out of JSON as JSON (the ``->`` operator) from version 3.38.
_SQLITE_ARROW = sqlite3.sqlite_version_info >= (3, 38)
_ACCOUNTS = cast(Table, Account.__table__)
_ID = _ACCOUNTS.c.id
# Scores are equal when bulk and one-by-one scoring agree, which they do to the bit; the
# tolerance absorbs the float round trip through the database, and through SQLite's JSON,
# which writes a stored score with 15 significant digits.
_SAME_SCORE = 1e-9
_READ = ("id", "version", "score", "scored_tier", "tier", "override_tier")
# Core statements bypass the ORM's version check, so they bump the version themselves.
_NEXT_VERSION = ("version = version + 1",)

Progress = Callable[[int, int], None]
# Why a moved account's tier moved: given the model, the account's stored facts (as read
# for scoring), its score before and after.
Reasons = Callable[[CompiledModel, Mapping[str, Any], float | None, float], list[str]]


def _model_changed(
    model: CompiledModel, facts: Mapping[str, Any], old: float | None, new: float
) -> list[str]:
    before = f"{old:.1f}" if old is not None else "none"
    return [
        f"Scoring model changed to {model.name} v{model.version}",
        f"Score {before} -> {new:.1f}",
    ]


@dataclass(frozen=True, slots=True)
class Purpose:
    """What a pass over the accounts is for.

    ``every_account``: every account gets a new version and the model's name, moved or
    not, and accounts scored by any model are read (an activation: a save that loaded
    an account before its batch was written must fail its version check). Otherwise
    only accounts last scored by the pass's model are read, and only those that moved
    are written: an activation under way rescores the others with its own model.
    """

    cause: ScoreCause
    every_account: bool
    reasons: Reasons


ACTIVATION = Purpose(ScoreCause.MODEL_CHANGE, every_account=True, reasons=_model_changed)


@dataclass(frozen=True, slots=True)
class Tally:
    accounts: int = 0
    changed: int = 0  # the model tier changed
    up: int = 0
    down: int = 0
    rescored: int = 0  # the score or the model tier changed: written with history

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.accounts + other.accounts,
            self.changed + other.changed,
            self.up + other.up,
            self.down + other.down,
            self.rescored + other.rescored,
        )


class _Stored(NamedTuple):
    """A batch's accounts as read, in id order: one column per name in ``_READ``, and
    each of the model's fields' stored values."""

    id: Sequence[int]
    version: Sequence[int]
    score: Sequence[float | None]
    scored_tier: Sequence[str | None]
    tier: Sequence[str | None]
    override_tier: Sequence[str | None]
    facts: Mapping[str, Sequence[Any]]  # None where an account has no value


@dataclass(frozen=True, slots=True)
class _Batch:
    """The accounts with ids in (``after``, last id] as read and as the model now scores
    them, with what writing them takes worked out (while the batch before is written)."""

    after: int
    stored: _Stored
    scores: BulkScores
    scored_tiers: list[str]  # the model tier of each account
    tiers: list[str]  # what everyone sees: the override while there is one
    moved: list[int]  # indexes of the accounts whose score or model tier changed
    saved: dict[str, list[Any]]  # the moved accounts' new values, by column

    @property
    def last(self) -> int:
        return self.stored.id[-1]

    def __len__(self) -> int:
        return len(self.stored.id)


async def rescore_all(
    ctx: ServiceContext,
    actor: Actor,
    model: CompiledModel,
    progress: Progress | None = None,
    purpose: Purpose = ACTIVATION,
) -> Tally:
    """Rescore every account with ``model``; ``progress`` hears (accounts done, of all).

    As an activation (see :class:`Purpose`), every account gets a new version (and the
    model's name), so a save that loaded one before its batch was written fails its
    version check and runs again with the new model. Only accounts whose score or tier
    moved get new scores and history.
    """
    tally = Tally()
    pass_ = _Pass(model, purpose)
    total = 0 if progress is None else await _count(ctx)
    async with _writer(ctx) as sessions:
        reading = asyncio.ensure_future(_read(ctx, pass_, after=0))
        try:
            while (batch := await reading) is not None:
                reading = asyncio.ensure_future(_read(ctx, pass_, after=batch.last))
                tally = tally + await _write_batch(sessions, ctx, actor, pass_, batch)
                if progress is not None:
                    progress(min(tally.accounts, total), total)
        finally:
            # After a failed write the read under way ends before the error goes on, so
            # no connection goes back to the pool in the middle of a query.
            await asyncio.gather(reading, return_exceptions=True)
    return tally


async def _count(ctx: ServiceContext) -> int:
    async with ctx.database.connection() as connection:
        return await connection.scalar(select(func.count()).select_from(_ACCOUNTS)) or 0


@dataclass(frozen=True, slots=True)
class _Pass:
    model: CompiledModel
    purpose: Purpose

    def accounts(self, which: ColumnElement[bool]) -> ColumnElement[bool]:
        """The accounts of ``which`` this pass reads (see :class:`Purpose`)."""
        if self.purpose.every_account:
            return which
        scored_by = (_ACCOUNTS.c.model_name == self.model.name) & (
            _ACCOUNTS.c.model_version == self.model.version
        )
        return which & scored_by


# WAL pages between checkpoints during a pass on SQLite: 256 MiB of 4 KiB pages.
PASS_CHECKPOINT_PAGES = 65_536


@asynccontextmanager
async def _writer(ctx: ServiceContext) -> AsyncIterator[Callable[[], AsyncSession]]:
    """Sessions for the batches' writes, all on one connection kept for the whole pass.

    On SQLite that connection does not checkpoint the WAL after each batch, as every
    commit past 1,000 WAL pages would (a batch writes about that many), but only every
    :data:`PASS_CHECKPOINT_PAGES` pages, and once at the end: each checkpoint flushes
    the files to disk twice, which batch by batch was about a quarter of all the time
    spent writing. The bound keeps the WAL file from growing by the whole database's
    size on disk during a pass.
    """
    async with ctx.database.connection() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            pages = await connection.scalar(text("PRAGMA wal_autocheckpoint"))
            await connection.exec_driver_sql(f"PRAGMA wal_autocheckpoint={PASS_CHECKPOINT_PAGES}")
            await connection.commit()
        try:
            # Database.session()'s own kind only adds a translation of failed version
            # checks, which these Core statements and new rows never make.
            yield lambda: AsyncSession(bind=connection, expire_on_commit=False)
        finally:
            if sqlite:
                await connection.exec_driver_sql(f"PRAGMA wal_autocheckpoint={int(pages)}")
                # PASSIVE: a chat reader is never kept waiting; what a reader still
                # needs is left to the next commit's automatic checkpoint.
                await connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
                await connection.commit()


async def _read(ctx: ServiceContext, pass_: _Pass, after: int) -> _Batch | None:
    """The next batch after id ``after``, scored; None when there are no more accounts.

    Decoding and scoring a batch keep the CPU for tens of milliseconds: in a thread of
    their own, the event loop meanwhile hands each statement of the batch being written
    its result at once, instead of after the scoring (which cost a tenth of a pass).
    """
    model = pass_.model
    async with ctx.database.connection() as connection:
        dialect = connection.dialect.name
        query = _stored_query(dialect, model, pass_.accounts(_ACCOUNTS.c.id > after), limit=BATCH)
        document = await connection.scalar(query)
    return await asyncio.to_thread(
        lambda: _scored(ctx, model, after, _stored_of(dialect, model, document))
    )


async def _write_batch(
    sessions: Callable[[], AsyncSession],
    ctx: ServiceContext,
    actor: Actor,
    pass_: _Pass,
    read: _Batch,
) -> Tally:
    """Write the batch ``read`` in one transaction, as it is once its rows are locked.

    The rows are locked before they are checked: PostgreSQL by SELECT ... FOR UPDATE,
    SQLite by taking its write lock with an UPDATE of no rows first. Each row is then
    written once: the moved ones with their new scores, the rest (in an activation) by
    one statement.
    """
    async with sessions() as session:
        await lock_for_writing(session)
        batch = await _as_locked(session, ctx, pass_, read)
        if batch is None:
            return Tally()
        await _write_moved(session, ctx, actor, pass_, batch)
        if pass_.purpose.every_account:
            await _stamp_the_rest(session, ctx, pass_.model, batch)
        await session.commit()
    return _tally(pass_.model, batch)


async def _as_locked(
    session: AsyncSession, ctx: ServiceContext, pass_: _Pass, read: _Batch
) -> _Batch | None:
    """``read`` if no account of its id range changed since it was read, else the range
    read and scored again (None when none of its accounts is left)."""
    model = pass_.model
    in_range = pass_.accounts(_ID.between(read.after + 1, read.last))
    # FOR UPDATE locks the rows on PostgreSQL; SQLite holds its write lock already.
    locked = select(_ID, _ACCOUNTS.c.version).where(in_range).with_for_update().subquery()
    connection = await session.connection()
    ids, versions = await _json_columns(connection, locked, [locked.c.id, locked.c.version])
    if ids == read.stored.id and versions == read.stored.version:
        return read
    return _scored(ctx, model, read.after, await _stored(connection, model, in_range))


async def _stored(
    connection: AsyncConnection,
    model: CompiledModel,
    which: ColumnElement[bool],
    limit: int | None = None,
) -> _Stored | None:
    """The accounts ``which`` selects, up to ``limit`` (None when there are none)."""
    dialect = connection.dialect.name
    document = await connection.scalar(_stored_query(dialect, model, which, limit))
    return _stored_of(dialect, model, document)


def _stored_query(
    dialect: str, model: CompiledModel, which: ColumnElement[bool], limit: int | None = None
) -> Select[str]:
    """The JSON document of the accounts ``which`` selects (see :func:`_stored_of`)."""
    accounts = select(*(_ACCOUNTS.c[name] for name in _READ), _ACCOUNTS.c.facts)
    chosen = accounts.where(which).order_by(_ID).limit(limit).subquery()
    fields = [_fact(dialect, chosen.c.facts, name) for name in model.fields]
    return _json_document(dialect, chosen, [chosen.c[c] for c in _READ] + fields)


def _stored_of(dialect: str, model: CompiledModel, document: str | None) -> _Stored | None:
    """The accounts of a :func:`_stored_query` document (None when there are none)."""
    columns = _decoded(dialect, document)
    if not columns or not columns[0]:
        return None
    values = columns[len(_READ) :]
    if dialect == "sqlite" and not _SQLITE_ARROW:  # pairs: see _fact
        values = [[pair[0] for pair in column] for column in values]
    facts = dict(zip(model.fields, values, strict=True))
    return _Stored._make([*columns[: len(_READ)], facts])


def _fact(dialect: str, facts: ColumnElement[Any], name: str) -> ColumnElement[Any]:
    """A field's stored value as JSON: taken out of the JSON as an SQL value, true would
    become 1 on SQLite, and numbers would go through its own, rounding, parser.

    SQLite before 3.38 has no ``->``; there json_extract keeps the JSON only when given
    more than one path, so each value comes back twice, in an array.
    """
    if dialect == "postgresql":
        return facts.op("->")(literal(name, String))
    path = literal(f'$."{name}"', String)
    if _SQLITE_ARROW:
        return facts.op("->")(path)
    return func.json_extract(facts, path, path)


async def _json_columns(
    connection: AsyncConnection, source: Any, values: Sequence[ColumnElement[Any]]
) -> list[list[Any]]:
    """Each of ``values`` for every row of ``source`` in id order (see
    :func:`_json_document`)."""
    dialect = connection.dialect.name
    return _decoded(dialect, await connection.scalar(_json_document(dialect, source, values)))


def _json_document(dialect: str, source: Any, values: Sequence[ColumnElement[Any]]) -> Select[str]:
    """Each of ``values`` for every row of ``source``, the database collecting them into
    one JSON document of a list per value, as text: Python decodes it in one call (where
    it likes: see _read), and creates no list or tuple per row (which a garbage
    collection would walk again)."""
    if dialect == "postgresql":
        lists = [func.json_agg(aggregate_order_by(v, source.c.id)) for v in values]
        document: ColumnElement[str] = func.json_build_array(*lists).cast(Text)
    else:
        document = func.json_array(*(func.json_group_array(v) for v in values), type_=Text)
    return select(document).select_from(source)


def _decoded(dialect: str, document: str | None) -> list[list[Any]]:
    """A :func:`_json_document`'s lists, in id order."""
    found = cast(list[list[Any] | None], json.loads(document)) if document else []
    # PostgreSQL's json_agg of no rows is null.
    columns = [column or [] for column in found]
    if dialect == "sqlite" and columns and columns[0] != sorted(columns[0]):
        # SQLite collects the rows in the order the subquery gives them, but does not
        # promise to.
        order = np.argsort(columns[0], kind="stable")
        columns = [[column[i] for i in order] for column in columns]
    return columns


def _scored(
    ctx: ServiceContext, model: CompiledModel, after: int, stored: _Stored | None
) -> _Batch | None:
    if stored is None:
        return None
    columns = fact_columns(model, stored.facts)
    scores = score_columns(model, columns, previous_tiers=stored.scored_tier, today=ctx.today())
    scored_tiers = scores.tiers()
    tiers = [held or t for held, t in zip(stored.override_tier, scored_tiers, strict=True)]
    moved = _moved(stored, scores, scored_tiers)
    saved = {
        "score": scores.total[moved].tolist(),
        "sub_scores": json_object_texts(
            {k: v[moved].tolist() for k, v in scores.sub_scores.items()}
        ),
        "scored_tier": _picked(scored_tiers, moved),
        "completeness": _picked(completeness(model, columns, len(stored.id)), moved),
        "tier": _picked(tiers, moved),
        "model_name": [model.name] * len(moved),
        "model_version": [model.version] * len(moved),
        "id": _picked(stored.id, moved),
    }
    return _Batch(after, stored, scores, scored_tiers, tiers, moved, saved)


def _moved(stored: _Stored, scores: BulkScores, scored_tiers: list[str]) -> list[int]:
    """Indexes of the accounts whose score or model tier changed."""
    old = np.array(stored.score, dtype=np.float64)  # None becomes NaN
    with np.errstate(invalid="ignore"):
        moved: npt.NDArray[np.bool_] = ~(np.abs(scores.total - old) <= _SAME_SCORE)
    moved |= np.array(scored_tiers, dtype=object) != np.array(stored.scored_tier, dtype=object)
    return np.flatnonzero(moved).tolist()


def _picked(values: Sequence[Any], chosen: list[int]) -> list[Any]:
    if len(chosen) == len(values):
        return list(values)
    return [values[i] for i in chosen]


async def _write_moved(
    session: AsyncSession, ctx: ServiceContext, actor: Actor, pass_: _Pass, batch: _Batch
) -> None:
    if not batch.moved:
        return
    now, stored, model = ctx.clock.now(), batch.stored, pass_.model
    shown = [i for i in batch.moved if batch.tiers[i] != stored.tier[i]]
    moves = await _moves(session, batch, shown, pass_)
    saved = batch.saved | {"updated_at": [now] * len(batch.moved)}
    # A tier that moves is "since now": in the same statement, which costs nothing where
    # one statement more per batch waited its turn behind the scoring of the next batch.
    since = StampWhenChanged("tier_since", "tier", now)
    await update_columns(session, _ACCOUNTS, "id", saved, also=_NEXT_VERSION, stamp=since)
    cause = pass_.purpose.cause
    await copy_to_history(session, _ids(batch, batch.moved), model, cause, now)
    await add_moves(session, ctx, actor, model, moves, cause=cause, notify=True)


async def _stamp_the_rest(
    session: AsyncSession, ctx: ServiceContext, model: CompiledModel, batch: _Batch
) -> None:
    """New version and model for the rows whose scores did not move."""
    written = set(batch.moved)
    rest = [i for i in range(len(batch)) if i not in written]
    if rest:
        await session.execute(
            update(_ACCOUNTS)
            .where(_ids(batch, rest))
            .values(
                version=_ACCOUNTS.c.version + 1,
                model_name=model.name,
                model_version=model.version,
                updated_at=ctx.clock.now(),
            )
        )


def _ids(batch: _Batch, chosen: list[int]) -> ColumnElement[bool]:
    """The chosen rows of a batch, naming as few ids as possible: a range minus the others
    when most are chosen (a long IN list costs more to build than to run)."""
    ids = batch.stored.id
    if 2 * len(chosen) <= len(ids):
        return _ID.in_([ids[i] for i in chosen])
    within = _ID.between(ids[0], ids[-1])
    picked = set(chosen)
    others = [account_id for i, account_id in enumerate(ids) if i not in picked]
    return within & _ID.not_in(others) if others else within


async def _moves(
    session: AsyncSession, batch: _Batch, shown: list[int], pass_: _Pass
) -> list[Move]:
    """The tier moves of the accounts ``shown`` (read before they are written): their
    names and owners for the alerts, and their scores as stored, to the last digit."""
    if not shown:
        return []
    columns = (_ID, _ACCOUNTS.c.name, _ACCOUNTS.c.owner_id, _ACCOUNTS.c.score)
    ids = [batch.stored.id[i] for i in shown]
    held = {row.id: row for row in await session.execute(select(*columns).where(_ID.in_(ids)))}
    moves = []
    for i in shown:
        row, total = held[batch.stored.id[i]], float(batch.scores.total[i])
        facts = {name: values[i] for name, values in batch.stored.facts.items()}
        moves.append(
            Move(
                account_id=row.id,
                account_name=row.name,
                owner_id=row.owner_id,
                old_tier=batch.stored.tier[i],
                new_tier=batch.tiers[i],
                old_score=row.score,
                new_score=total,
                reasons=pass_.purpose.reasons(pass_.model, facts, row.score, total),
            )
        )
    return moves


def _tally(model: CompiledModel, batch: _Batch) -> Tally:
    ranks = [
        (model.tier_rank(old), model.tier_rank(new))
        for old, new in zip(batch.stored.scored_tier, batch.scored_tiers, strict=True)
        if new != old
    ]
    up = sum(1 for old, new in ranks if old is not None and new is not None and new < old)
    down = sum(1 for old, new in ranks if old is not None and new is not None and new > old)
    return Tally(len(batch), len(ranks), up, down, len(batch.moved))
