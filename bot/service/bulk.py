"""Reads and writes of many accounts at once, shared by rescoring, imports and exports.

Stored facts become the columns bulk scoring reads without one ``parse_value`` call per
value: stored facts are already typed JSON, so only values of an unexpected type (after
a model changed a field's type, or text typed into an old version) take the slow path,
which is :func:`bot.service.facts.decode` itself. The result is exactly what decoding
row by row gives (tested).

History, audit and tier-change rows are inserted with multi-row INSERTs rather than as
ORM objects: a unit-of-work flush of thousands of objects costs far more than the rows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.service.actor import Actor
from bot.service.context import ServiceContext
from bot.service.outbox import Alert, queue_alerts
from bot.store.enums import ScoreCause
from bot.store.tables import AuditEntry, ScoreHistory, TierChange
from scoring import CompiledModel, FieldDef, parse_value
from scoring.spec import FieldType

Stored = Mapping[str, Any]
Column = npt.NDArray[Any]

_HISTORY = cast(Table, ScoreHistory.__table__)
_AUDIT = cast(Table, AuditEntry.__table__)
_CHANGES = cast(Table, TierChange.__table__)
_PLAIN_NUMBERS = frozenset({float, int, type(None)})
_NUMERIC = frozenset({FieldType.NUMBER, FieldType.INTEGER, FieldType.PERCENT, FieldType.MONEY})


# -- stored facts as columns ----------------------------------------------------------


def stored_columns(model: CompiledModel, stored_rows: Sequence[Stored]) -> dict[str, Column]:
    """Many accounts' stored facts as bulk-scoring columns (NaN, -1 or NaT when unknown)."""
    return {
        name: _column(field, [row.get(name) for row in stored_rows])
        for name, field in model.fields.items()
    }


def _column(field: FieldDef, values: list[Any]) -> Column:
    if field.type in _NUMERIC:
        return _numbers(field, values)
    if field.type is FieldType.CHOICE:
        return _choices(field, values)
    if field.type is FieldType.BOOLEAN:
        return _booleans(field, values)
    return _dates(field, values)


def _numbers(field: FieldDef, values: list[Any]) -> Column:
    if not set(map(type, values)) <= _PLAIN_NUMBERS:
        return np.array([_slow_number(field, v) for v in values], dtype=np.float64)
    column = np.array([math.nan if v is None else v for v in values], dtype=np.float64)
    # The checks parse_value makes, on the whole column: out of range means "unknown".
    bad = ~np.isfinite(column)
    if field.type is FieldType.INTEGER:
        bad |= np.trunc(column) != column
    if field.min is not None:
        bad |= column < field.min
    if field.max is not None:
        bad |= column > field.max
    column[bad] = math.nan
    return column


def _slow_number(field: FieldDef, value: Any) -> float:
    typed = _parsed(field, value)
    return float(typed) if isinstance(typed, float) else math.nan


def _choices(field: FieldDef, values: list[Any]) -> Column:
    codes = {choice: code for code, choice in enumerate(field.choices)}
    return np.fromiter(
        (_choice_code(field, codes, v) for v in values), dtype=np.int64, count=len(values)
    )


def _choice_code(field: FieldDef, codes: dict[str, int], value: Any) -> int:
    if value is None:
        return -1
    code = codes.get(value) if isinstance(value, str) else None
    if code is not None:
        return code
    typed = _parsed(field, value)
    return codes[typed] if isinstance(typed, str) else -1


def _booleans(field: FieldDef, values: list[Any]) -> Column:
    return np.array([_boolean(field, v) for v in values], dtype=np.float64)


def _boolean(field: FieldDef, value: Any) -> float:
    if value is None:
        return math.nan
    typed = value if isinstance(value, bool) else _parsed(field, value)
    return float(typed) if isinstance(typed, bool) else math.nan


def _dates(field: FieldDef, values: list[Any]) -> Column:
    return np.array([_date(field, v) for v in values], dtype="datetime64[D]")


def _date(field: FieldDef, value: Any) -> date | str:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    typed = _parsed(field, value) if value is not None else None
    return typed if isinstance(typed, date) else "NaT"


def _parsed(field: FieldDef, value: Any) -> object:
    try:
        return parse_value(field, value)
    except ValueError:
        return None


def completeness(model: CompiledModel, columns: Mapping[str, Column], rows: int) -> list[float]:
    """Percent of the model's scored facts each account has (defaults do not count)."""
    scored = model.scored_fields()
    if not scored:
        return [100.0] * rows
    known = np.zeros(rows)
    for name in scored:
        known += ~_unknown(columns[name])
    return list(100.0 * known / len(scored))


def _unknown(column: Column) -> npt.NDArray[np.bool_]:
    if column.dtype.kind == "M":
        return np.isnat(column)
    if column.dtype.kind in "iu":
        return column < 0
    return np.isnan(column)


# -- multi-row writes -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Move:
    """A visible tier move to record, with what its alert needs."""

    account_id: int
    account_name: str
    owner_id: int | None
    old_tier: str | None
    new_tier: str
    old_score: float | None
    new_score: float | None
    reasons: list[str]


async def add_history(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert score-history rows (keys: the ``score_history`` columns except id)."""
    if rows:
        await session.execute(insert(_HISTORY), rows)


def history_values(
    account_id: int,
    values: Mapping[str, Any],
    tier: str,
    model: CompiledModel,
    cause: ScoreCause,
    now: datetime,
) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "scored_at": now,
        "score": values["score"],
        "sub_scores": values["sub_scores"],
        "tier": tier,
        "model_name": model.name,
        "model_version": model.version,
        "cause": cause,
    }


async def add_audit(
    session: AsyncSession,
    actor: Actor,
    action: str,
    entries: list[tuple[int, dict[str, Any] | None, dict[str, Any]]],
    now: datetime,
) -> None:
    """One audit entry per (account id, before, after)."""
    if not entries:
        return
    await session.execute(
        insert(_AUDIT),
        [
            {
                "at": now,
                "actor_id": actor.person_id,
                "actor_label": actor.label,
                "action": action,
                "target_type": "account",
                "target_id": str(account_id),
                "channel": actor.channel,
                "before": before,
                "after": after,
            }
            for account_id, before, after in entries
        ],
    )


async def add_moves(
    session: AsyncSession,
    ctx: ServiceContext,
    actor: Actor,
    model: CompiledModel,
    moves: list[Move],
    *,
    cause: ScoreCause,
    notify: bool,
) -> None:
    """Record tier changes; with ``notify``, queue their alerts in the same transaction."""
    if not moves:
        return
    now = ctx.clock.now()
    rows = [
        {
            "account_id": m.account_id,
            "changed_at": now,
            "old_tier": m.old_tier,
            "new_tier": m.new_tier,
            "old_score": m.old_score,
            "new_score": m.new_score,
            "cause": cause,
            "actor_id": actor.person_id,
            "reasons": m.reasons,
        }
        for m in moves
    ]
    if not notify:
        await session.execute(insert(_CHANGES), rows)
        return
    # Alerts carry the change's id, so these rows come back with theirs.
    query = insert(_CHANGES).returning(_CHANGES.c.id, sort_by_parameter_order=True)
    ids = list((await session.execute(query, rows)).scalars())
    alerts = [
        Alert(TierChange(id=change_id, **row), move.account_name, move.owner_id, actor.name)
        for change_id, row, move in zip(ids, rows, moves, strict=True)
    ]
    await queue_alerts(session, alerts, routes=ctx.alert_routes, model=model, now=now)
