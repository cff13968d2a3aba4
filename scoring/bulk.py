"""Score many accounts at once from columns, with exactly the totals and tiers of ``score``.

Every step repeats the arithmetic of ``engine.score`` in the same order, on NumPy
arrays, so a bulk total equals the one-by-one total to the last bit (property-tested).
A missing value is NaN in number, boolean and date columns and -1 in choice codes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from scoring.engine import SCORE_MAX, SCORE_MIN
from scoring.errors import ScoringError
from scoring.expressions import FloatArray
from scoring.model import CompiledModel, Criterion, CriterionKind, FieldDef
from scoring.spec import FieldType

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class BulkScores:
    total: FloatArray
    base: FloatArray
    sub_scores: Mapping[str, FloatArray]
    tier_index: IntArray  # rank of each account's tier; 0 is the best
    tier_names: tuple[str, ...]

    def tiers(self) -> list[str]:
        names = np.array(self.tier_names, dtype=object)
        return list(names[self.tier_index])

    def __len__(self) -> int:
        return len(self.total)


def encode_choices(field: FieldDef, values: Sequence[object]) -> IntArray:
    """Choice values as codes (index of the choice, -1 for missing or unknown)."""
    index: dict[object, int] = {choice: code for code, choice in enumerate(field.choices)}
    return np.fromiter((index.get(v, -1) for v in values), dtype=np.int64, count=len(values))


def encode_tiers(model: CompiledModel, tiers: Sequence[str | None]) -> IntArray:
    """Tier names as ranks (-1 for none or a tier this model does not have)."""
    ranks: dict[str | None, int] = {tier.name: tier.rank for tier in model.tiers}
    return np.fromiter((ranks.get(t, -1) for t in tiers), dtype=np.int64, count=len(tiers))


def column_for(field: FieldDef, raw: Any, rows: int, today: date | None) -> npt.NDArray[Any]:
    """One field's column in the form conditions and criteria read, defaults filled in."""
    if raw is None:
        column: npt.NDArray[Any] = (
            np.full(rows, -1, dtype=np.int64)
            if field.type is FieldType.CHOICE
            else np.full(rows, np.nan)
        )
    elif field.type is FieldType.CHOICE:
        array = np.asarray(raw)
        column = (
            array.astype(np.int64) if array.dtype.kind in "iu" else encode_choices(field, list(raw))
        )
    elif field.type is FieldType.DATE:
        column = _days_since(np.asarray(raw, dtype="datetime64[D]"), today)
    else:
        column = np.asarray(raw, dtype=np.float64)
    return _with_default(field, column)


def _days_since(dates: npt.NDArray[Any], today: date | None) -> FloatArray:
    if today is None:
        if np.isnat(dates).all():  # like ``score``: only a date that is given needs today
            return np.full(len(dates), np.nan)
        raise ScoringError("scoring date fields needs today's date")
    days = (np.datetime64(today, "D") - dates).astype(np.float64)
    return np.where(np.isnat(dates), np.nan, days)


def _with_default(field: FieldDef, column: npt.NDArray[Any]) -> npt.NDArray[Any]:
    default = field.default
    if default is None:
        return column
    if field.type is FieldType.CHOICE:
        return np.where(column < 0, field.choices.index(str(default)), column)
    return np.where(np.isnan(column), float(default), column)  # type: ignore[arg-type]


def score_columns(
    model: CompiledModel,
    columns: Mapping[str, Any],
    *,
    previous_tiers: Sequence[str | None] | IntArray | None = None,
    today: date | None = None,
) -> BulkScores:
    """Score every row of ``columns`` (field name -> sequence); absent columns are missing."""
    rows = _row_count(columns)
    env: dict[str, npt.NDArray[Any]] = {
        name: column_for(field, columns.get(name), rows, today)
        for name, field in model.fields.items()
    }
    sub_points = {s.name: np.zeros(rows) for s in model.sub_scores}
    for criterion in model.criteria:
        points = _points(criterion, model.fields[criterion.field], env[criterion.field])
        sub_points[criterion.sub_score] = sub_points[criterion.sub_score] + points
    sub_scores = {s.name: 100.0 * sub_points[s.name] / s.max_points for s in model.sub_scores}
    env.update(sub_scores)
    base = _weighted_base(model, sub_scores, rows)
    env["base"] = base
    total = np.clip(base + _adjustments(model, env, rows), SCORE_MIN, SCORE_MAX)
    env["total"] = total
    tier_index = _tiers(model, env, _previous_ranks(model, previous_tiers, rows), rows)
    return BulkScores(total, base, sub_scores, tier_index, model.tier_names)


def _row_count(columns: Mapping[str, Any]) -> int:
    lengths = {len(column) for column in columns.values()}
    if len(lengths) > 1:
        raise ScoringError(f"columns differ in length: {sorted(lengths)}")
    return lengths.pop() if lengths else 0


def _points(criterion: Criterion, field: FieldDef, column: npt.NDArray[Any]) -> FloatArray:
    if criterion.kind is CriterionKind.BANDS:
        points = np.zeros(len(column))
        open_rows = ~np.isnan(column)
        for band in criterion.bands:
            hit = open_rows.copy()
            if band.min is not None:
                hit &= column >= band.min
            if band.max is not None:
                hit &= column < band.max
            points[hit] = band.points
            open_rows &= ~hit
        return points
    if criterion.kind is CriterionKind.LINEAR:
        fraction = (column - criterion.low) / (criterion.high - criterion.low)
        points = criterion.weight * np.clip(fraction, 0.0, 1.0)
        return np.where(np.isnan(column), 0.0, points)
    if criterion.kind is CriterionKind.MAP:
        assert criterion.map_points is not None
        table = np.array([criterion.map_points.get(c, 0.0) for c in field.choices] + [0.0])
        return table[np.where(column < 0, len(table) - 1, column)]
    return np.where(
        column == 1.0, criterion.if_true, np.where(column == 0.0, criterion.if_false, 0.0)
    )


def _weighted_base(
    model: CompiledModel, sub_scores: Mapping[str, FloatArray], rows: int
) -> FloatArray:
    weighted = np.zeros(rows)
    weights = 0.0
    for s in model.sub_scores:
        weighted = weighted + s.weight * sub_scores[s.name]
        weights += s.weight
    result: FloatArray = weighted / weights
    return result


def _adjustments(
    model: CompiledModel, env: Mapping[str, npt.NDArray[Any]], rows: int
) -> FloatArray:
    total = np.zeros(rows)
    for a in model.adjustments:
        applies, _ = a.condition.holds_columns(env)
        points = np.full(rows, a.points)
        if a.per is not None:
            points = a.points * np.nan_to_num(env[a.per], nan=0.0)
        if a.max_points is not None:
            points = np.clip(points, -a.max_points, a.max_points)
        total = total + np.where(applies, points, 0.0)
    if model.adjustment_min is not None:
        total = np.maximum(total, model.adjustment_min)
    if model.adjustment_max is not None:
        total = np.minimum(total, model.adjustment_max)
    return total


def _previous_ranks(
    model: CompiledModel, previous: Sequence[str | None] | IntArray | None, rows: int
) -> IntArray | None:
    if previous is None or model.hysteresis == 0.0:
        return None
    if isinstance(previous, np.ndarray) and previous.dtype.kind in "iu":
        return previous.astype(np.int64)
    return encode_tiers(model, list(previous))


def _tiers(
    model: CompiledModel, env: Mapping[str, npt.NDArray[Any]], previous: IntArray | None, rows: int
) -> IntArray:
    last = len(model.tiers) - 1
    result = np.full(rows, last, dtype=np.int64)
    open_rows = np.ones(rows, dtype=bool)
    for tier in model.tiers[:-1]:
        assert tier.condition is not None
        slack: Any = 0.0
        if previous is not None:
            h = model.hysteresis
            slack = np.where(previous == tier.rank, h, np.where(previous > tier.rank, -h, 0.0))
        hit, _ = tier.condition.holds_columns(env, slack)
        hit &= open_rows
        result[hit] = tier.rank
        open_rows &= ~hit
    return result
