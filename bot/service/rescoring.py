"""Rescoring accounts in bulk after a model activation, one batch per transaction.

A batch is read with one query, decoded into columns without a parse per value, scored
with ``score_columns``, and written back with one multi-row statement per table, so the
cost per account stays a few microseconds of Python on top of the rows themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.service.actor import Actor
from bot.service.bulk import (
    Move,
    add_history,
    add_moves,
    completeness,
    history_values,
    stored_columns,
)
from bot.service.context import ServiceContext, transaction
from bot.store.enums import ScoreCause
from bot.store.tables import Account
from scoring import BulkScores, CompiledModel, score_columns

BATCH = 5_000
_ACCOUNTS = cast(Table, Account.__table__)
# Scores are equal when bulk and one-by-one scoring agree, which they do to the bit;
# the tolerance only absorbs the float round trip through the database.
_SAME_SCORE = 1e-9


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
class _Row:
    """One account of the batch, before and after."""

    id: int
    name: str
    owner_id: int | None
    old_score: float | None
    old_scored: str | None
    old_tier: str | None
    old_since: datetime | None
    override: str | None
    values: dict[str, Any]

    @property
    def tier(self) -> str:
        return self.override or self.values["scored_tier"]


async def rescore_batch(
    ctx: ServiceContext, actor: Actor, model: CompiledModel, first: int, last: int
) -> Tally:
    """Rescore the accounts with ids in [first, last]; write only those whose score moved."""
    async with transaction(ctx.database) as session:
        await _claim(session, model, first, last, ctx)
        rows = await _scored_rows(session, ctx, model, first, last)
        changed = [row for row in rows if _moved(row)]
        await _write(session, ctx, actor, model, changed)
    return _tally(model, rows)


async def _claim(
    session: AsyncSession, model: CompiledModel, first: int, last: int, ctx: ServiceContext
) -> None:
    # Bumping the version first locks the rows (SQLite: the write lock) and makes any
    # save that loaded them before fail its version check and rerun with this model.
    await session.execute(
        update(_ACCOUNTS)
        .where(_ACCOUNTS.c.id.between(first, last))
        .values(
            version=_ACCOUNTS.c.version + 1,
            model_name=model.name,
            model_version=model.version,
            updated_at=ctx.clock.now(),
        )
    )


async def _scored_rows(
    session: AsyncSession, ctx: ServiceContext, model: CompiledModel, first: int, last: int
) -> list[_Row]:
    query = (
        select(
            Account.id,
            Account.name,
            Account.owner_id,
            Account.facts,
            Account.score,
            Account.scored_tier,
            Account.tier,
            Account.tier_since,
            Account.override_tier,
        )
        .where(Account.id.between(first, last))
        .order_by(Account.id)
    )
    found = (await session.execute(query)).all()
    columns = stored_columns(model, [row.facts for row in found])
    bulk = score_columns(
        model, columns, previous_tiers=[row.scored_tier for row in found], today=ctx.today()
    )
    known = completeness(model, columns, len(found))
    return [
        _Row(
            row.id,
            row.name,
            row.owner_id,
            row.score,
            row.scored_tier,
            row.tier,
            row.tier_since,
            row.override_tier,
            _values(bulk, i, known[i]),
        )
        for i, row in enumerate(found)
    ]


def _values(bulk: BulkScores, i: int, known: float) -> dict[str, Any]:
    return {
        "score": float(bulk.total[i]),
        "sub_scores": {name: float(values[i]) for name, values in bulk.sub_scores.items()},
        "scored_tier": bulk.tier_names[bulk.tier_index[i]],
        "completeness": known,
    }


def _moved(row: _Row) -> bool:
    score = row.values["score"]
    if row.old_score is None or abs(score - row.old_score) > _SAME_SCORE:
        return True
    return bool(row.values["scored_tier"] != row.old_scored)


async def _write(
    session: AsyncSession,
    ctx: ServiceContext,
    actor: Actor,
    model: CompiledModel,
    rows: list[_Row],
) -> None:
    if not rows:
        return
    now = ctx.clock.now()
    await session.execute(_SAVE, [_saved(row, now) for row in rows])
    cause = ScoreCause.MODEL_CHANGE
    await add_history(
        session, [history_values(r.id, r.values, r.tier, model, cause, now) for r in rows]
    )
    moves = [_move(row, model) for row in rows if row.tier != row.old_tier]
    await add_moves(session, ctx, actor, model, moves, cause=cause, notify=True)


_SAVE = (
    update(_ACCOUNTS)
    .where(_ACCOUNTS.c.id == bindparam("row_id"))
    .values(
        score=bindparam("new_score"),
        sub_scores=bindparam("new_sub_scores"),
        scored_tier=bindparam("new_scored_tier"),
        completeness=bindparam("new_completeness"),
        tier=bindparam("new_tier"),
        tier_since=bindparam("new_tier_since"),
    )
)


def _saved(row: _Row, now: datetime) -> dict[str, Any]:
    return {
        "row_id": row.id,
        "new_score": row.values["score"],
        "new_sub_scores": row.values["sub_scores"],
        "new_scored_tier": row.values["scored_tier"],
        "new_completeness": row.values["completeness"],
        "new_tier": row.tier,
        "new_tier_since": now if row.tier != row.old_tier else row.old_since,
    }


def _move(row: _Row, model: CompiledModel) -> Move:
    old = f"{row.old_score:.1f}" if row.old_score is not None else "none"
    return Move(
        account_id=row.id,
        account_name=row.name,
        owner_id=row.owner_id,
        old_tier=row.old_tier,
        new_tier=row.tier,
        old_score=row.old_score,
        new_score=row.values["score"],
        reasons=[
            f"Scoring model changed to {model.name} v{model.version}",
            f"Score {old} -> {row.values['score']:.1f}",
        ],
    )


def _tally(model: CompiledModel, rows: list[_Row]) -> Tally:
    changed = [row for row in rows if row.values["scored_tier"] != row.old_scored]
    ranks = [
        (model.tier_rank(r.old_scored), model.tier_rank(r.values["scored_tier"])) for r in changed
    ]
    up = sum(1 for old, new in ranks if old is not None and new is not None and new < old)
    down = sum(1 for old, new in ranks if old is not None and new is not None and new > old)
    return Tally(len(rows), len(changed), up, down)
