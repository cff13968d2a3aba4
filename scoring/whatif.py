"""What it takes: points to the next tier up, the smallest single-fact changes that get
there, and how far the account is above the tier below."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from scoring.engine import (
    ScoreResult,
    as_value,
    criterion_points,
    fact_env,
    score,
    tier_slack,
    total_from_points,
)
from scoring.expressions import Compare, Expr, Member
from scoring.model import CompiledModel, CriterionKind, FactValue, FieldDef
from scoring.spec import FieldType
from scoring.text import LocalText

_BISECT_STEPS = 24


@dataclass(frozen=True, slots=True)
class FactChange:
    field: str
    label: LocalText
    current: FactValue | None
    proposed: FactValue
    points_gain: float  # change of the total
    new_tier: str
    reaches_next_tier: bool


@dataclass(frozen=True, slots=True)
class WhatItTakes:
    tier: str
    next_tier: str | None
    points_needed: Mapping[str, float] | None  # per score; None when points alone cannot do it
    changes: tuple[FactChange, ...]  # smallest single-fact changes reaching the next tier
    best_moves: tuple[FactChange, ...]  # the biggest single-fact gains, when none reaches it
    tier_below: str | None
    margin_below: float | None


def what_it_takes(
    model: CompiledModel,
    facts: Mapping[str, FactValue],
    *,
    result: ScoreResult | None = None,
    today: date | None = None,
    limit: int = 3,
) -> WhatItTakes:
    """Explain the way up from the account's current tier (held, as hysteresis would)."""
    current = result or score(model, facts, today=today)
    rank = current.tier_rank
    below = model.tiers[rank + 1].name if rank + 1 < len(model.tiers) else None
    if rank == 0:
        return WhatItTakes(current.tier, None, None, (), (), below, current.margin_below)
    target = model.tiers[rank - 1]
    needed = _points_needed(model, facts, current, today)
    # On a threshold tier, a fact that cannot add the points needed cannot reach it.
    threshold = needed.get("total") if target.min is not None and needed else None
    search = _Search(model, facts, current, today)
    changes = sorted(search.reaching(threshold), key=lambda c: _effort(model.fields[c.field], c))
    best = () if changes else search.best_gains(limit)
    return WhatItTakes(
        tier=current.tier,
        next_tier=target.name,
        points_needed=needed,
        changes=tuple(changes[:limit]),
        best_moves=best,
        tier_below=below,
        margin_below=current.margin_below,
    )


def _points_needed(
    model: CompiledModel, facts: Mapping[str, FactValue], current: ScoreResult, today: date | None
) -> Mapping[str, float] | None:
    target = model.tiers[current.tier_rank - 1]
    assert target.condition is not None
    env = dict(fact_env(model, facts, today))
    env.update(current.sub_scores)
    env["base"], env["total"] = current.base, current.total
    return target.condition.shortfall(env, tier_slack(model, target, current.tier_rank))


def _effort(field: FieldDef, change: FactChange) -> tuple[int, float]:
    """Smaller is easier: relative size of a numeric change; other kinds after numbers."""
    if isinstance(change.proposed, float) and isinstance(change.current, float):
        return 0, abs(change.proposed - change.current) / max(abs(change.current), 1.0)
    return (0, 1.0) if field.is_numeric else (1, -change.points_gain)


class _Search:
    """Try values of one fact at a time and keep those that move the tier up."""

    def __init__(
        self,
        model: CompiledModel,
        facts: Mapping[str, FactValue],
        current: ScoreResult,
        today: date | None,
    ) -> None:
        self.model, self.facts, self.current, self.today = model, facts, current, today
        self.env = fact_env(model, facts, today)
        self.bounds = gain_bounds(model, current)
        self._tried: dict[tuple[str, FactValue], FactChange] = {}
        # A try changes one fact: only that fact's criteria need scoring again.
        self._points = [criterion_points(c, self.env[c.field])[0] for c in model.criteria]
        self._criteria_of: dict[str, list[int]] = {}
        for i, c in enumerate(model.criteria):
            self._criteria_of.setdefault(c.field, []).append(i)
        self._previous_rank = model.tier_rank(current.tier)
        self._values: dict[str, list[FactValue]] = {}

    def _try(self, field: FieldDef, value: FactValue) -> FactChange:
        # Searches try the same values again (best gains after reaching); remember them.
        key = (field.name, value)
        known = self._tried.get(key)
        if known is not None:
            return known
        env = dict(self.env)
        tried = env[field.name] = as_value(field, value, self.today)
        points = list(self._points)
        for i in self._criteria_of.get(field.name, ()):
            points[i] = criterion_points(self.model.criteria[i], tried)[0]
        total, tier = total_from_points(self.model, env, points, self._previous_rank)
        change = FactChange(
            field=field.name,
            label=field.label,
            current=self.facts.get(field.name),
            proposed=value,
            points_gain=total - self.current.total,
            new_tier=tier.name,
            reaches_next_tier=tier.rank < self.current.tier_rank,
        )
        self._tried[key] = change
        return change

    def _candidates(self, field: FieldDef) -> list[FactValue]:
        values = self._values.get(field.name)
        if values is None:
            values = self._values[field.name] = _candidates(self.model, field, self.today)
        return values

    def reaching(self, points_needed: float | None) -> Iterator[FactChange]:
        for field in self.model.fields.values():
            if points_needed is not None and self.bounds[field.name] < points_needed:
                continue
            found = self._smallest_reaching(field)
            if found is not None:
                yield found

    def best_gains(self, limit: int) -> tuple[FactChange, ...]:
        """The ``limit`` biggest single-fact gains, trying the most promising facts first."""
        position = {name: i for i, name in enumerate(self.model.fields)}
        found: list[FactChange] = []
        for field in sorted(self.model.fields.values(), key=lambda f: -self.bounds[f.name]):
            if len(found) >= limit and self.bounds[field.name] < found[limit - 1].points_gain:
                break  # no later fact can add as much as the ones already found
            best = self._best_gain(field)
            if best is not None:
                found.append(best)
                found.sort(key=lambda c: (-c.points_gain, position[c.field]))
        return tuple(found[:limit])

    def _best_gain(self, field: FieldDef) -> FactChange | None:
        tries = [self._try(field, value) for value in self._candidates(field)]
        tries = [t for t in tries if t.points_gain > 0 and t.proposed != t.current]
        return max(tries, key=lambda t: t.points_gain) if tries else None

    def _smallest_reaching(self, field: FieldDef) -> FactChange | None:
        current = self.facts.get(field.name)
        if isinstance(current, float) and field.is_numeric and field.type is not FieldType.DATE:
            return self._nearest_reaching(field, current)
        tries = [
            self._try(field, value)
            for value in self._candidates(field)
            if value != current
        ]
        reaching = [t for t in tries if t.reaches_next_tier]
        if not reaching:
            return None
        if not field.is_numeric or field.type is FieldType.DATE:
            return min(reaching, key=lambda t: _distance(current, t.proposed, -t.points_gain))
        best = min(reaching, key=lambda t: _distance(current, t.proposed, 0.0))
        return self._refine(field, best)

    def _nearest_reaching(self, field: FieldDef, current: float) -> FactChange | None:
        """The reaching value nearest ``current``, refined: the one the general search
        picks, found by trying candidates nearest first and stopping at the first that
        reaches (a card asks this of every fact; most reach within a try or two)."""
        def distance(value: FactValue) -> float:
            return abs(float(value) - current)  # type: ignore[arg-type]

        # sorted() is stable: values as near as each other keep the general search's order.
        for value in sorted(self._candidates(field), key=distance):
            if value == current:
                continue
            attempt = self._try(field, value)
            if attempt.reaches_next_tier:
                return self._refine(field, attempt)
        return None

    def _refine(self, field: FieldDef, reaching: FactChange) -> FactChange:
        """Bisect between the current value and a reaching one (linear criteria are continuous)."""
        start = self.facts.get(field.name)
        near = float(start) if isinstance(start, float) else field.min or 0.0
        far = float(reaching.proposed)  # type: ignore[arg-type]
        best = reaching
        for _ in range(_BISECT_STEPS):
            middle = (near + far) / 2
            attempt = self._try(field, _rounded(field, middle, far > near))
            if attempt.reaches_next_tier:
                far, best = middle, attempt
            else:
                near = middle
            if abs(far - near) <= max(abs(far), 1.0) * 1e-3:  # finer than anyone reads
                break
        return best


def gain_bounds(model: CompiledModel, current: ScoreResult) -> dict[str, float]:
    """For each fact, more points than changing it alone could ever add to the total.

    Its criteria at full marks, weighted as the total weighs them, plus every adjustment
    switching on at its largest: loose, but never too small, so skipping a fact whose
    bound falls short never changes the answer.
    """
    weights = sum(s.weight for s in model.sub_scores)
    factor = {s.name: 100.0 * s.weight / (s.max_points * weights) for s in model.sub_scores}
    room = _adjustment_room(model) - current.adjustment_total + _ROUNDING
    bounds = dict.fromkeys(model.fields, room)
    for c in current.criteria:
        bounds[c.field] += (c.max_points - c.points) * factor[c.sub_score]
    return bounds


def _adjustment_room(model: CompiledModel) -> float:
    most = 0.0
    for a in model.adjustments:
        if a.max_points is not None:
            most += a.max_points
        elif a.per is None:
            most += max(a.points, 0.0)
        else:
            return math.inf  # points per unit without a cap: no bound
    return most if model.adjustment_max is None else min(most, model.adjustment_max)


_ROUNDING = 1e-6  # float sums differ in the last bits from the bound's arithmetic


def _distance(current: FactValue | None, proposed: FactValue, tie: float) -> tuple[float, float]:
    if isinstance(current, float) and isinstance(proposed, float):
        return abs(proposed - current), tie
    return math.inf, tie


def _rounded(field: FieldDef, value: float, upward: bool) -> float:
    """A value a person would say: whole numbers, or three significant digits."""
    if field.type is FieldType.INTEGER or abs(value) >= 100:
        step = 1.0 if abs(value) < 1000 else 10 ** (math.floor(math.log10(abs(value))) - 2)
    else:
        step = 0.1
    rounded = (math.ceil if upward else math.floor)(value / step) * step
    return float(round(rounded, 6))


def _candidates(model: CompiledModel, field: FieldDef, today: date | None) -> list[FactValue]:
    """Values worth trying for one fact: band edges, linear ends, condition constants, choices."""
    if field.type is FieldType.CHOICE:
        return list(field.choices)
    if field.type is FieldType.BOOLEAN:
        return [True, False]
    numbers = _candidate_numbers(model, field.name)
    if field.type is FieldType.DATE:
        if today is None:
            return []
        return [today - timedelta(days=max(int(n), 0)) for n in numbers]
    return list(numbers)


# Candidate numbers depend on the model alone, yet every card asks for them: kept for
# the few models a process scores with (by identity; each entry keeps its model alive,
# so an id is never reused while its entry lives).
_NUMBERS_KEPT = 8
_numbers: dict[int, tuple[CompiledModel, dict[str, tuple[float, ...]]]] = {}


def _candidate_numbers(model: CompiledModel, name: str) -> tuple[float, ...]:
    kept = _numbers.get(id(model))
    if kept is None or kept[0] is not model:
        if len(_numbers) >= _NUMBERS_KEPT:
            del _numbers[next(iter(_numbers))]  # the oldest
        kept = _numbers[id(model)] = (model, {})
    by_field = kept[1]
    numbers = by_field.get(name)
    if numbers is None:
        numbers = by_field[name] = _find_candidate_numbers(model, model.fields[name])
    return numbers


def _find_candidate_numbers(model: CompiledModel, field: FieldDef) -> tuple[float, ...]:
    numbers: set[float] = set()
    for criterion in model.criteria:
        if criterion.field != field.name:
            continue
        if criterion.kind is CriterionKind.LINEAR:
            numbers.update((criterion.low, criterion.high))
        for band in criterion.bands:
            if band.min is not None:
                numbers.add(band.min)
            if band.max is not None:
                numbers.add(
                    band.max - (1.0 if field.type in _WHOLE else 1e-6 * max(abs(band.max), 1))
                )
    for condition in _conditions(model):
        numbers.update(_constants_for(condition, field.name))
    for adjustment in model.adjustments:
        # Points per unit grow until the cap: the value that reaches the cap is worth a try.
        if adjustment.per == field.name and adjustment.max_points and adjustment.points:
            numbers.add(abs(adjustment.max_points / adjustment.points))
    return tuple(sorted(n for n in numbers if _within(field, n)))


_WHOLE = (FieldType.INTEGER, FieldType.DATE)


def _within(field: FieldDef, value: float) -> bool:
    return (field.min is None or value >= field.min) and (field.max is None or value <= field.max)


def _conditions(model: CompiledModel) -> Iterator[Expr]:
    yield from (a.condition for a in model.adjustments)
    yield from (t.condition for t in model.tiers if t.condition is not None)


def _constants_for(expr: Expr, name: str) -> Iterator[float]:
    if isinstance(expr, Compare) and expr.name == name and isinstance(expr.value, float):
        step = 1.0 if expr.op in (">", "<") else 0.0
        yield expr.value + step if expr.op in (">", ">=") else expr.value - step
    elif isinstance(expr, Member) and expr.name == name:
        yield from (v for v in expr.values if isinstance(v, float))
    for child in getattr(expr, "items", ()):
        yield from _constants_for(child, name)
    inner = getattr(expr, "item", None)
    if inner is not None:
        yield from _constants_for(inner, name)
