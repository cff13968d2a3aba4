"""Rescoring accounts in bulk after a model activation, one batch per transaction.

A batch is read with one query, decoded into columns without a parse per value, scored
with ``score_columns``, and written back with one statement per table (an executemany
for the new scores, set-based statements for the rest), so each account costs a few
microseconds of Python on top of what the database spends on its row.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from sqlalchemy import ColumnElement, Row, Table, Text, select, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.asyncio import AsyncSession

from bot.service.actor import Actor
from bot.service.bulk import (
    Move,
    add_moves,
    copy_to_history,
    json_object_texts,
    lock_for_writing,
    update_many,
)
from bot.service.columns import completeness, stored_columns
from bot.service.context import ServiceContext, transaction
from bot.store.enums import ScoreCause
from bot.store.tables import Account
from scoring import BulkScores, CompiledModel, score_columns

BATCH = 5_000
_ACCOUNTS = cast(Table, Account.__table__)
# Scores are equal when bulk and one-by-one scoring agree, which they do to the bit;
# the tolerance only absorbs the float round trip through the database.
_SAME_SCORE = 1e-9
_READ = [
    *(_ACCOUNTS.c[name] for name in ("id", "name", "owner_id", "score", "scored_tier", "tier")),
    _ACCOUNTS.c.override_tier,
    # As text: the batch's facts are parsed in one go (see _scored).
    sql_cast(_ACCOUNTS.c.facts, Text).label("facts"),
]
_SAVED = ("score", "sub_scores", "scored_tier", "completeness", "tier")
_STAMP = ("model_name", "model_version", "updated_at")
# Core statements bypass the ORM's version check, so they bump the version themselves.
_NEXT_VERSION = ("version = version + 1",)


@dataclass(frozen=True, slots=True)
class Tally:
    accounts: int = 0
    changed: int = 0  # the model tier changed
    up: int = 0
    down: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.accounts + other.accounts,
            self.changed + other.changed,
            self.up + other.up,
            self.down + other.down,
        )


@dataclass(frozen=True, slots=True)
class _Batch:
    """The accounts of one batch as read (``rows``) and as the model now scores them."""

    rows: Sequence[Row[Any]]
    scores: BulkScores
    scored_tiers: list[str]  # the model tier of each account
    tiers: list[str]  # what everyone sees: the override while there is one
    known: list[float]  # completeness

    def moved(self) -> list[int]:
        """Indexes of the accounts whose score or model tier changed."""
        old = np.array([np.nan if r.score is None else r.score for r in self.rows])
        with np.errstate(invalid="ignore"):
            moved: npt.NDArray[np.bool_] = ~(np.abs(self.scores.total - old) <= _SAME_SCORE)
        moved |= np.array(
            [new != r.scored_tier for new, r in zip(self.scored_tiers, self.rows, strict=True)],
            dtype=bool,
        )
        return [int(i) for i in np.flatnonzero(moved)]


async def rescore_batch(
    ctx: ServiceContext, actor: Actor, model: CompiledModel, first: int, last: int
) -> Tally:
    """Rescore the accounts with ids in [first, last]; write only those whose score moved.

    Every row of the range gets a new version (and the model's name), so a save that
    loaded one before this batch fails its version check and runs again with the new
    model. The rows are locked before they are read: PostgreSQL by SELECT ... FOR UPDATE,
    SQLite by taking its write lock with an UPDATE of no rows first. Each row is then
    written once: the moved ones with their new scores, the rest by one statement.
    """
    async with transaction(ctx.database) as session:
        await lock_for_writing(session)
        batch = await _scored(session, ctx, model, first, last)
        moved = batch.moved()
        await _write(session, ctx, actor, model, batch, moved)
        await _stamp_the_rest(session, ctx, model, batch, moved)
    return _tally(model, batch)


async def _scored(
    session: AsyncSession, ctx: ServiceContext, model: CompiledModel, first: int, last: int
) -> _Batch:
    query = (
        select(*_READ)
        .where(_ACCOUNTS.c.id.between(first, last))
        .order_by(_ACCOUNTS.c.id)
        .with_for_update()
    )
    rows = (await session.execute(query)).all()
    # One parse of all the batch's facts: far cheaper than a json.loads per row.
    facts = json.loads("[" + ",".join(row.facts for row in rows) + "]")
    columns = stored_columns(model, facts)
    scores = score_columns(
        model, columns, previous_tiers=[row.scored_tier for row in rows], today=ctx.today()
    )
    scored_tiers = scores.tiers()
    tiers = [row.override_tier or t for row, t in zip(rows, scored_tiers, strict=True)]
    known = completeness(model, columns, len(rows))
    return _Batch(rows, scores, scored_tiers, tiers, known)


async def _write(
    session: AsyncSession,
    ctx: ServiceContext,
    actor: Actor,
    model: CompiledModel,
    batch: _Batch,
    moved: list[int],
) -> None:
    if not moved:
        return
    now, rows = ctx.clock.now(), batch.rows
    stamp = (model.name, model.version, now)
    saved = _saved(batch, moved, stamp)
    await update_many(session, _ACCOUNTS, "id", (*_SAVED, *_STAMP), saved, also=_NEXT_VERSION)
    shown = [i for i in moved if batch.tiers[i] != rows[i].tier]
    if shown:
        ids = [rows[i].id for i in shown]
        await session.execute(
            update(_ACCOUNTS).where(_ACCOUNTS.c.id.in_(ids)).values(tier_since=now)
        )
    cause = ScoreCause.MODEL_CHANGE
    await copy_to_history(session, _ids(rows, moved), model, cause, now)
    moves = [_move(batch, i, model) for i in shown]
    await add_moves(session, ctx, actor, model, moves, cause=cause, notify=True)


async def _stamp_the_rest(
    session: AsyncSession,
    ctx: ServiceContext,
    model: CompiledModel,
    batch: _Batch,
    moved: list[int],
) -> None:
    """New version and model for the rows whose scores did not move."""
    written = set(moved)
    rest = [i for i in range(len(batch.rows)) if i not in written]
    if rest:
        await session.execute(
            update(_ACCOUNTS)
            .where(_ids(batch.rows, rest))
            .values(
                version=_ACCOUNTS.c.version + 1,
                model_name=model.name,
                model_version=model.version,
                updated_at=ctx.clock.now(),
            )
        )


def _ids(rows: Sequence[Row[Any]], chosen: list[int]) -> ColumnElement[bool]:
    """The chosen rows of a batch, naming as few ids as possible: a range minus the others
    when most are chosen (a long IN list costs more to build than to run)."""
    column = _ACCOUNTS.c.id
    if 2 * len(chosen) <= len(rows):
        return column.in_([rows[i].id for i in chosen])
    within = column.between(rows[0].id, rows[-1].id)
    picked = set(chosen)
    others = [row.id for i, row in enumerate(rows) if i not in picked]
    return within & column.not_in(others) if others else within


def _saved(batch: _Batch, moved: list[int], stamp: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """The executemany rows: the _SAVED values, the _STAMP values, then the id."""
    totals = batch.scores.total[moved].tolist()
    subs = json_object_texts({k: v[moved].tolist() for k, v in batch.scores.sub_scores.items()})
    tiers, scored, known = batch.tiers, batch.scored_tiers, batch.known
    return [
        (total, sub, scored[i], known[i], tiers[i], *stamp, batch.rows[i].id)
        for i, total, sub in zip(moved, totals, subs, strict=True)
    ]


def _move(batch: _Batch, i: int, model: CompiledModel) -> Move:
    row, total = batch.rows[i], float(batch.scores.total[i])
    old = f"{row.score:.1f}" if row.score is not None else "none"
    return Move(
        account_id=row.id,
        account_name=row.name,
        owner_id=row.owner_id,
        old_tier=row.tier,
        new_tier=batch.tiers[i],
        old_score=row.score,
        new_score=total,
        reasons=[
            f"Scoring model changed to {model.name} v{model.version}",
            f"Score {old} -> {total:.1f}",
        ],
    )


def _tally(model: CompiledModel, batch: _Batch) -> Tally:
    ranks = [
        (model.tier_rank(row.scored_tier), model.tier_rank(new))
        for row, new in zip(batch.rows, batch.scored_tiers, strict=True)
        if new != row.scored_tier
    ]
    up = sum(1 for old, new in ranks if old is not None and new is not None and new < old)
    down = sum(1 for old, new in ranks if old is not None and new is not None and new > old)
    return Tally(len(batch.rows), len(ranks), up, down)
