"""A compiled tier model as one plain SQL UPDATE: the yardstick for the rescoring benchmark.

The statement computes every account's total and tier inside the database from its stored
facts (JSON), repeating the arithmetic of ``scoring.bulk`` in the same order: criteria
(bands, linear, map, boolean), sub-score weighting, adjustments with their caps and
limits, the clamp to 0-100, and the tier conditions with hysteresis against the tier the
account holds. SQL's three-valued logic is the scorer's Kleene logic (a comparison on a
missing fact is unknown, and unknown does not match), so conditions translate one to one.

It writes only ``score``, ``scored_tier`` and ``tier`` (no sub-scores, history or tier
changes): the least any rescoring has to do, which is what makes it a fair floor.
Stored values are trusted here (no range checks), which holds for seeded data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from scoring import CompiledModel, FieldDef
from scoring.expressions import (
    All,
    Any_,
    Compare,
    CompareNames,
    Expr,
    Literal,
    Member,
    Not,
    Truth,
)
from scoring.model import Criterion, CriterionKind
from scoring.spec import FieldType

Dialect = str  # "sqlite" or "postgresql"
_FENCE = {"sqlite": "LIMIT -1 OFFSET 0", "postgresql": "OFFSET 0"}
_LIMIT = {"sqlite": ("MAX", "MIN"), "postgresql": ("GREATEST", "LEAST")}


class UnsupportedModel(ValueError):
    """The model uses something this translation does not cover."""


@dataclass(frozen=True, slots=True)
class _Sql:
    dialect: Dialect
    today: date

    def number(self, value: float) -> str:
        # repr round-trips a double exactly, so SQL sees the very constant Python uses.
        if self.dialect == "postgresql":
            return f"CAST({value!r} AS DOUBLE PRECISION)"
        return repr(value)

    def text(self, value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    def clamp(self, expression: str, low: float | None, high: float | None) -> str:
        greatest, least = _LIMIT[self.dialect]
        if low is not None:
            expression = f"{greatest}({expression}, {self.number(low)})"
        if high is not None:
            expression = f"{least}({expression}, {self.number(high)})"
        return expression

    def fact(self, field: FieldDef) -> str:
        """The fact as conditions and criteria read it (dates as days since today)."""
        key = field.name
        if self.dialect == "sqlite":
            raw = f"json_extract(facts, '$.{key}')"
            if field.type is FieldType.DATE:
                raw = f"(julianday('{self.today.isoformat()}') - julianday({raw}))"
        elif field.type is FieldType.CHOICE:
            raw = f"(facts->>'{key}')"
        elif field.type is FieldType.BOOLEAN:
            raw = f"CAST(CAST(facts->>'{key}' AS BOOLEAN) AS INTEGER)"
        elif field.type is FieldType.DATE:
            raw = f"CAST(DATE '{self.today.isoformat()}' - CAST(facts->>'{key}' AS DATE) AS FLOAT8)"
        else:
            raw = f"CAST(facts->>'{key}' AS FLOAT8)"
        if field.default is None:
            return raw
        default = (
            self.text(field.default)
            if isinstance(field.default, str)
            else self.number(float(field.default))  # type: ignore[arg-type]
        )
        return f"COALESCE({raw}, {default})"


def update_statement(model: CompiledModel, dialect: Dialect, today: date) -> str:
    """``UPDATE accounts ...`` giving every account the total and tier ``model`` gives."""
    sql = _Sql(dialect, today)
    facts = ", ".join(f"{sql.fact(f)} AS f_{name}" for name, f in model.fields.items())
    points = ", ".join(_sub_score(sql, model, s.name) for s in model.sub_scores)
    fields = ", ".join(f"f_{name}" for name in model.fields)
    names = ", ".join(f"s_{s.name}" for s in model.sub_scores)
    base = _base(sql, model)
    total = sql.clamp(f"(base + {_adjustments(sql, model)})", 0.0, 100.0)
    tier = _tier(sql, model)
    # OFFSET 0 keeps each layer a layer: without it both databases inline the inner
    # queries and evaluate every repeated reference (e.g. the total in each tier test) again.
    fence = _FENCE[dialect]
    query = f"SELECT id, scored_tier AS held, {facts} FROM accounts"
    query = f"SELECT id, held, {fields}, {points} FROM ({query} {fence}) AS with_facts"
    query = f"SELECT id, held, {fields}, {names}, {base} AS base FROM ({query} {fence}) AS s"
    query = (
        f"SELECT id, held, {fields}, {names}, base, {total} AS total FROM ({query} {fence}) AS b"
    )
    query = f"SELECT id, total, {tier} AS new_tier FROM ({query} {fence}) AS with_total"
    return (
        f"UPDATE accounts SET score = scored.total, scored_tier = scored.new_tier, "
        f"tier = COALESCE(accounts.override_tier, scored.new_tier) "
        f"FROM ({query}) AS scored WHERE accounts.id = scored.id"
    )


def _sub_score(sql: _Sql, model: CompiledModel, name: str) -> str:
    total = sql.number(0.0)
    for criterion in model.criteria:
        if criterion.sub_score == name:
            total = f"({total} + {_points(sql, model, criterion)})"
    maximum = next(s.max_points for s in model.sub_scores if s.name == name)
    return f"{sql.number(100.0)} * {total} / {sql.number(maximum)} AS s_{name}"


def _points(sql: _Sql, model: CompiledModel, criterion: Criterion) -> str:
    value = f"f_{criterion.field}"
    zero = sql.number(0.0)
    if criterion.kind is CriterionKind.BANDS:
        cases = []
        for band in criterion.bands:
            tests = [f"{value} IS NOT NULL"]
            if band.min is not None:
                tests.append(f"{value} >= {sql.number(band.min)}")
            if band.max is not None:
                tests.append(f"{value} < {sql.number(band.max)}")
            cases.append(f"WHEN {' AND '.join(tests)} THEN {sql.number(band.points)}")
        return f"(CASE {' '.join(cases)} ELSE {zero} END)"
    if criterion.kind is CriterionKind.LINEAR:
        span = sql.number(criterion.high - criterion.low)
        fraction = f"({value} - {sql.number(criterion.low)}) / {span}"
        clipped = sql.clamp(fraction, 0.0, 1.0)
        weight = sql.number(criterion.weight)
        return f"(CASE WHEN {value} IS NULL THEN {zero} ELSE {weight} * {clipped} END)"
    if criterion.kind is CriterionKind.MAP:
        assert criterion.map_points is not None
        cases = [
            f"WHEN {sql.text(choice)} THEN {sql.number(criterion.map_points.get(choice, 0.0))}"
            for choice in model.fields[criterion.field].choices
        ]
        return f"(CASE {value} {' '.join(cases)} ELSE {zero} END)"
    return (
        f"(CASE WHEN {value} = 1 THEN {sql.number(criterion.if_true)} "
        f"WHEN {value} = 0 THEN {sql.number(criterion.if_false)} ELSE {zero} END)"
    )


def _base(sql: _Sql, model: CompiledModel) -> str:
    weighted, weights = sql.number(0.0), 0.0
    for s in model.sub_scores:
        weighted = f"({weighted} + {sql.number(s.weight)} * s_{s.name})"
        weights += s.weight
    return f"{weighted} / {sql.number(weights)}"


def _adjustments(sql: _Sql, model: CompiledModel) -> str:
    total = sql.number(0.0)
    names = _names(model)
    for a in model.adjustments:
        points = sql.number(a.points)
        if a.per is not None:
            points = f"{points} * COALESCE({names(a.per)}, {sql.number(0.0)})"
        if a.max_points is not None:
            points = sql.clamp(points, -a.max_points, a.max_points)
        condition = _condition(sql, a.condition, names, None, 1.0)
        total = f"({total} + CASE WHEN {condition} THEN {points} ELSE {sql.number(0.0)} END)"
    return sql.clamp(total, model.adjustment_min, model.adjustment_max)


def _tier(sql: _Sql, model: CompiledModel) -> str:
    names = _names(model)
    cases = []
    for tier in model.tiers[:-1]:
        assert tier.condition is not None
        slack = _slack(sql, model, tier.rank) if model.hysteresis else None
        condition = _condition(sql, tier.condition, names, slack, 1.0)
        cases.append(f"WHEN {condition} THEN {sql.text(tier.name)}")
    return f"(CASE {' '.join(cases)} ELSE {sql.text(model.tiers[-1].name)} END)"


def _slack(sql: _Sql, model: CompiledModel, rank: int) -> str:
    """Hysteresis per row: hold the tier the account has, make a better one harder."""
    held = " ".join(f"WHEN {sql.text(t.name)} THEN {t.rank}" for t in model.tiers)
    previous = f"(CASE held {held} END)"
    h = sql.number(model.hysteresis)
    return (
        f"(CASE WHEN {previous} = {rank} THEN {h} "
        f"WHEN {previous} > {rank} THEN {sql.number(-model.hysteresis)} "
        f"ELSE {sql.number(0.0)} END)"
    )


def _names(model: CompiledModel) -> Callable[[str], str]:
    scores = {s.name: f"s_{s.name}" for s in model.sub_scores} | {"base": "base", "total": "total"}

    def column(name: str) -> str:
        return scores.get(name) or f"f_{name}"

    return column


def _condition(
    sql: _Sql, expr: Expr, names: Callable[[str], str], slack: str | None, sign: float
) -> str:
    """``expr`` in SQL; ``slack`` (a per-row expression) loosens score thresholds."""
    if isinstance(expr, Literal):
        return "(1 = 1)" if expr.value else "(1 = 0)"
    if isinstance(expr, Compare):
        return _compare(sql, expr, names, slack, sign)
    if isinstance(expr, CompareNames):
        return f"({names(expr.left)} {_op(expr.op)} {names(expr.right)})"
    if isinstance(expr, Member):
        values = ", ".join(
            sql.text(v) if isinstance(v, str) else sql.number(float(v)) for v in expr.values
        )
        return f"({names(expr.name)} {'NOT IN' if expr.negated else 'IN'} ({values}))"
    if isinstance(expr, Truth):
        return f"({names(expr.name)} = 1)"
    if isinstance(expr, Not):
        return f"(NOT {_condition(sql, expr.item, names, slack, -sign)})"
    if isinstance(expr, All | Any_):
        joiner = " AND " if isinstance(expr, All) else " OR "
        return "(" + joiner.join(_condition(sql, i, names, slack, sign) for i in expr.items) + ")"
    raise UnsupportedModel(f"condition {expr!r} has no SQL translation")


def _compare(
    sql: _Sql, expr: Compare, names: Callable[[str], str], slack: str | None, sign: float
) -> str:
    column = names(expr.name)
    if isinstance(expr.value, str):
        return f"({column} {_op(expr.op)} {sql.text(expr.value)})"
    if isinstance(expr.value, bool):
        raise UnsupportedModel("a yes/no comparison should have been compiled to Truth")
    threshold = sql.number(float(expr.value))
    if expr.is_score and slack is not None:
        signed = slack if sign > 0 else f"(-{slack})"
        shift = "-" if expr.op in (">=", ">") else "+"
        threshold = f"({threshold} {shift} {signed})"
    return f"({column} {_op(expr.op)} {threshold})"


def _op(op: str) -> str:
    return "<>" if op == "!=" else "=" if op == "==" else op
