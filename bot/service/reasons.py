"""Why a tier moved, as short English texts stored with the tier change.

The texts are stored (not recomputed) because the model may change later; chat
replies show them as written, next to the translated parts of the alert.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from scoring import CompiledModel, CriterionResult, FieldDef, ScoreResult

TOP_REASONS = 3


@dataclass(frozen=True, slots=True)
class _Move:
    text: str
    points: float  # change of the total


def score_reasons(
    model: CompiledModel, old: ScoreResult | None, new: ScoreResult, limit: int = TOP_REASONS
) -> list[str]:
    """The criteria and adjustments that moved the total most in the direction it went."""
    direction = 1.0 if old is None or new.total >= old.total else -1.0
    moves = [m for m in _moves(model, old, new) if m.points * direction > 0]
    moves.sort(key=lambda m: -abs(m.points))
    if moves:
        return [m.text for m in moves[:limit]]
    before = f"{old.total:.1f}" if old is not None else "none"
    return [f"Score {before} -> {new.total:.1f}"]


def _moves(model: CompiledModel, old: ScoreResult | None, new: ScoreResult) -> Iterator[_Move]:
    weights = _total_points_per_point(model)
    for criterion in new.criteria:
        before = _criterion_points(old, criterion.id)
        gain = (criterion.points - before) * weights[criterion.sub_score]
        field = model.fields[criterion.field]
        yield _Move(f"{criterion.label}: {value_text(field, criterion)} ({gain:+.1f})", gain)
    old_adjustments = {a.id: a.points for a in old.adjustments} if old else {}
    for adjustment in new.adjustments:
        gain = adjustment.points - old_adjustments.pop(adjustment.id, 0.0)
        yield _Move(f"{adjustment.reason} ({gain:+.1f})", gain)
    lost = {a.id: a for a in old.adjustments} if old else {}
    for adjustment_id, points in old_adjustments.items():
        yield _Move(f"No longer: {lost[adjustment_id].reason} ({-points:+.1f})", -points)


def _criterion_points(result: ScoreResult | None, criterion_id: str) -> float:
    return result.criterion(criterion_id).points if result is not None else 0.0


def _total_points_per_point(model: CompiledModel) -> dict[str, float]:
    """How much one criterion point is worth in the 0-100 total, per sub-score."""
    weights = sum(s.weight for s in model.sub_scores)
    return {s.name: 100.0 * s.weight / (weights * s.max_points) for s in model.sub_scores}


def value_text(field: FieldDef, criterion: CriterionResult) -> str:
    """A criterion's fact as a short English text: a date as ISO, a number with its unit."""
    value = criterion.value
    if value is None or (criterion.missing and field.default is None):
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return field.choice_label(value).get() if value in field.choices else value
    number = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:g}"
    return number + ("%" if field.unit == "%" else f" {field.unit}" if field.unit else "")
