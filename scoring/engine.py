"""Score one account: total, sub-scores, tier, and the reason for every point."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from scoring.errors import ScoringError
from scoring.expressions import Env, Value
from scoring.model import (
    Adjustment,
    Band,
    CompiledModel,
    Criterion,
    CriterionKind,
    FactValue,
    FieldDef,
    Playbook,
    Tier,
)
from scoring.spec import FieldType
from scoring.text import LocalText

SCORE_MIN, SCORE_MAX = 0.0, 100.0


@dataclass(frozen=True, slots=True)
class CriterionResult:
    id: str
    field: str
    label: LocalText
    sub_score: str
    kind: CriterionKind
    value: FactValue | None  # the fact used (the default when the fact is missing)
    missing: bool
    points: float
    max_points: float
    band: Band | None  # the band that matched, for band criteria

    @property
    def rule(self) -> str:
        """A short, language-neutral account of how the points came about."""
        if self.band is not None:
            return self.band.describe()
        return f"{self.points:.1f}/{self.max_points:g}"


@dataclass(frozen=True, slots=True)
class AdjustmentResult:
    id: str
    reason: LocalText
    condition: str
    points: float
    capped: bool


@dataclass(frozen=True, slots=True)
class Hysteresis:
    previous_tier: str | None
    raw_tier: str  # the tier the score alone gives, without hysteresis
    tier: str  # the tier given
    points: float

    @property
    def held(self) -> bool:
        """True when hysteresis kept the tier from following the score to ``raw_tier``."""
        return self.tier != self.raw_tier


@dataclass(frozen=True, slots=True)
class ScoreResult:
    model_name: str
    model_version: int
    total: float
    base: float  # the weighted sub-scores before adjustments
    sub_scores: Mapping[str, float]
    tier: str
    tier_label: LocalText
    tier_rank: int
    criteria: tuple[CriterionResult, ...]
    adjustments: tuple[AdjustmentResult, ...]
    adjustment_total: float
    missing: tuple[str, ...]
    completeness: float  # percent of scored facts that are known
    hysteresis: Hysteresis
    playbook: Playbook | None
    margin_below: float | None  # points the score may lose before the tier drops

    def top_reasons(self, count: int = 3) -> tuple[CriterionResult, ...]:
        """The criteria that earned the most points, best first."""
        ranked = sorted(self.criteria, key=lambda c: (-c.points, -c.max_points))
        return tuple(c for c in ranked if c.points > 0)[:count]

    def criterion(self, criterion_id: str) -> CriterionResult:
        return next(c for c in self.criteria if c.id == criterion_id)


def fact_env(model: CompiledModel, facts: Mapping[str, FactValue], today: date | None) -> Env:
    """Facts as condition values: numbers as floats, dates as days since ``today``."""
    env: dict[str, Value | None] = {}
    for name, field in model.fields.items():
        value = facts.get(name)
        if value is None:
            value = field.default
        env[name] = None if value is None else as_value(field, value, today)
    return env


def as_value(field: FieldDef, value: FactValue, today: date | None) -> Value:
    if field.type is FieldType.DATE:
        if today is None:
            raise ScoringError(f"{field.name} is a date: scoring it needs today's date")
        assert isinstance(value, date)
        return float((today - value).days)
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    assert not isinstance(value, date)
    return value


def criterion_points(criterion: Criterion, value: Value | None) -> tuple[float, Band | None]:
    if value is None:
        return 0.0, None
    kind = criterion.kind
    if kind is CriterionKind.BANDS:
        for band in criterion.bands:
            if band.contains(value):  # type: ignore[arg-type]
                return band.points, band
        return 0.0, None
    if kind is CriterionKind.LINEAR:
        fraction = (value - criterion.low) / (criterion.high - criterion.low)  # type: ignore[operator]
        return criterion.weight * min(max(fraction, 0.0), 1.0), None
    if kind is CriterionKind.MAP:
        assert criterion.map_points is not None
        return criterion.map_points.get(str(value), 0.0), None
    return (criterion.if_true if value else criterion.if_false), None


def score(
    model: CompiledModel,
    facts: Mapping[str, FactValue],
    *,
    previous_tier: str | None = None,
    today: date | None = None,
) -> ScoreResult:
    """Score one account's (already validated) facts."""
    env = dict(fact_env(model, facts, today))
    results, sub_points = _criteria(model, facts, env)
    sub_scores, base = _add_scores(model, env, sub_points)
    adjustments = _adjustments(model, env)
    total = _add_total(model, env, base, adjustments)
    adjustment_total = total_adjustment(model, adjustments)
    tier, _ = choose_tier(model, env, previous_tier)
    raw_tier, _ = choose_tier(model, env, None)
    scored = model.scored_fields()
    missing = tuple(name for name in scored if facts.get(name) is None)
    return ScoreResult(
        model_name=model.name,
        model_version=model.version,
        total=total,
        base=base,
        sub_scores=sub_scores,
        tier=tier.name,
        tier_label=tier.label,
        tier_rank=tier.rank,
        criteria=results,
        adjustments=adjustments,
        adjustment_total=adjustment_total,
        missing=missing,
        completeness=100.0 * (len(scored) - len(missing)) / len(scored) if scored else 100.0,
        hysteresis=Hysteresis(previous_tier, raw_tier.name, tier.name, model.hysteresis),
        playbook=model.playbook(tier.name),
        # Once given, this tier is the previous one, so hysteresis protects it from here on.
        margin_below=_margin(tier, env, model.hysteresis),
    )


def total_from_points(
    model: CompiledModel,
    scores: dict[str, Value | None],
    points: Sequence[float],
    previous_rank: int | None,
) -> tuple[float, Tier]:
    """Total and tier from each criterion's points (in criterion order), without reasons.

    The same arithmetic as ``score`` in the same order, for searches that try many values
    and rescore only the criteria of the fact they change. ``scores`` (the facts in
    condition form) is filled in with the sub-scores, ``base`` and ``total``.
    """
    sub_points = {s.name: 0.0 for s in model.sub_scores}
    for c, earned in zip(model.criteria, points, strict=True):
        sub_points[c.sub_score] += earned
    _, base = _add_scores(model, scores, sub_points)
    # sum_in_order over _applied, written out: searches call this thousands of times.
    adjustment = 0.0
    for _, adjusted, _ in _applied(model, scores):
        adjustment += adjusted
    total = min(max(base + _limit(model, adjustment), SCORE_MIN), SCORE_MAX)
    scores["total"] = total
    return total, _choose_tier(model, scores, previous_rank)[0]


def _add_scores(
    model: CompiledModel, env: dict[str, Value | None], sub_points: Mapping[str, float]
) -> tuple[dict[str, float], float]:
    sub_scores = {s.name: 100.0 * sub_points[s.name] / s.max_points for s in model.sub_scores}
    env.update(sub_scores)
    base = weighted_base(model, sub_scores)
    env["base"] = base
    return sub_scores, base


def total_adjustment(model: CompiledModel, adjustments: tuple[AdjustmentResult, ...]) -> float:
    return _limit(model, sum_in_order(a.points for a in adjustments))


def _add_total(
    model: CompiledModel,
    env: dict[str, Value | None],
    base: float,
    adjustments: tuple[AdjustmentResult, ...],
) -> float:
    total = min(max(base + total_adjustment(model, adjustments), SCORE_MIN), SCORE_MAX)
    env["total"] = total
    return total


def _criteria(
    model: CompiledModel, facts: Mapping[str, FactValue], env: Env
) -> tuple[tuple[CriterionResult, ...], dict[str, float]]:
    sub_points = {s.name: 0.0 for s in model.sub_scores}
    results = []
    for c in model.criteria:
        value = env[c.field]
        points, band = criterion_points(c, value)
        sub_points[c.sub_score] += points
        fact = facts.get(c.field)
        results.append(
            CriterionResult(
                c.id,
                c.field,
                c.label,
                c.sub_score,
                c.kind,
                fact if fact is not None else model.fields[c.field].default,
                fact is None,
                points,
                c.weight,
                band,
            )
        )
    return tuple(results), sub_points


def weighted_base(model: CompiledModel, sub_scores: Mapping[str, float]) -> float:
    weighted = 0.0
    weights = 0.0
    for s in model.sub_scores:
        weighted += s.weight * sub_scores[s.name]
        weights += s.weight
    return weighted / weights


def sum_in_order(values: object) -> float:
    # Bulk scoring adds in the same order, so one-by-one and bulk totals agree to the bit.
    total = 0.0
    for value in values:  # type: ignore[attr-defined]
        total += value
    return total


def _adjustments(model: CompiledModel, env: Env) -> tuple[AdjustmentResult, ...]:
    return tuple(
        AdjustmentResult(a.id, a.reason, a.condition_text, points, capped)
        for a, points, capped in _applied(model, env)
    )


def _applied(model: CompiledModel, env: Env) -> Iterator[tuple[Adjustment, float, bool]]:
    """Each adjustment that applies, with its points (capped) and whether the cap bit."""
    for a in model.adjustments:
        if a.condition.holds(env) is not True:
            continue
        points = a.points
        if a.per is not None:
            points = a.points * float(env[a.per] or 0.0)
        capped = a.max_points is not None and abs(points) > a.max_points
        if a.max_points is not None:
            points = min(max(points, -a.max_points), a.max_points)
        if points != 0.0:
            yield a, points, capped


def _limit(model: CompiledModel, points: float) -> float:
    if model.adjustment_min is not None:
        points = max(points, model.adjustment_min)
    if model.adjustment_max is not None:
        points = min(points, model.adjustment_max)
    return points


def tier_slack(model: CompiledModel, tier: Tier, previous_rank: int | None) -> float:
    """Hysteresis: hold on to the previous tier, and clear a better tier's bar by a margin."""
    if previous_rank is None or model.hysteresis == 0.0:
        return 0.0
    if tier.rank == previous_rank:
        return model.hysteresis
    return -model.hysteresis if tier.rank < previous_rank else 0.0


def choose_tier(model: CompiledModel, env: Env, previous_tier: str | None) -> tuple[Tier, float]:
    return _choose_tier(model, env, model.tier_rank(previous_tier))


def _choose_tier(model: CompiledModel, env: Env, previous_rank: int | None) -> tuple[Tier, float]:
    for tier in model.tiers:
        slack = tier_slack(model, tier, previous_rank)
        if tier.condition is None or tier.condition.holds(env, slack) is True:
            return tier, slack
    raise AssertionError("the last tier always matches")  # guaranteed by the compiler


def _margin(tier: Tier, env: Env, slack: float) -> float | None:
    if tier.condition is None:
        return None
    margin = tier.condition.margin(env, slack)
    return None if margin == float("inf") else margin
