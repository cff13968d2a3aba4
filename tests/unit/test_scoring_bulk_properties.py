"""Properties over random accounts for every shipped model: bulk scoring equals scoring one
by one to the last bit, raising a fact that only earns points never lowers the score, and
scoring never fails on valid facts."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scoring
from scoring import (
    CompiledModel,
    FactValue,
    FieldDef,
    ScoringError,
    columns_from_rows,
    load_model,
    qualify,
    score,
    score_columns,
    what_it_takes,
)
from scoring.engine import criterion_points
from scoring.expressions import All, Any_, Compare, Expr, Member, Not
from scoring.model import CriterionKind
from scoring.spec import FieldType

TODAY = date(2026, 3, 31)
SHIPPED = ("default", "prospect", "five_grade", "quadrant")
PROPERTY = settings(max_examples=200, deadline=None)

# Facts whose criteria only ever earn more points as they grow (bands with ascending
# points, linear from < to) and whose adjustments only add (checked below).
INCREASING = {
    "default": (
        "cumulative_revenue",
        "avg_order_value",
        "orders_per_year",
        "profit_margin",
        "revenue_growth",
        "referrals",
    ),
    "prospect": ("annual_revenue", "total_assets", "revenue_growth"),
    "five_grade": ("annual_order_value", "referrals", "product_lines"),
    "quadrant": ("annual_revenue", "profit_margin", "years_as_customer", "revenue_growth"),
}


@cache
def shipped(name: str) -> CompiledModel:
    path = Path(scoring.__file__).parent / "models" / f"{name}.yaml"
    return load_model(path.read_text(encoding="utf-8"), source=path.name)


# -- random facts that fit a model --------------------------------------------------------


def _constants(expr: Expr, name: str) -> Iterator[float]:
    if isinstance(expr, Compare) and expr.name == name and isinstance(expr.value, float):
        yield expr.value
    if isinstance(expr, Member) and expr.name == name:
        yield from (v for v in expr.values if isinstance(v, float))
    if isinstance(expr, All | Any_):
        for item in expr.items:
            yield from _constants(item, name)
    if isinstance(expr, Not):
        yield from _constants(expr.item, name)


def _edges(model: CompiledModel, field: FieldDef) -> list[float]:
    """Values where points change: band edges, linear ends, condition constants."""
    numbers: set[float] = set()
    for criterion in model.criteria:
        if criterion.field == field.name:
            numbers.update(b.min for b in criterion.bands if b.min is not None)
            numbers.update(b.max for b in criterion.bands if b.max is not None)
            if criterion.kind is CriterionKind.LINEAR:
                numbers.update((criterion.low, criterion.high))
    for adjustment in model.adjustments:
        numbers.update(_constants(adjustment.condition, field.name))
    for tier in model.tiers:
        if tier.condition is not None:
            numbers.update(_constants(tier.condition, field.name))
    return sorted(numbers)


@cache
def value_for(name: str, field_name: str) -> st.SearchStrategy[FactValue]:
    """Valid values of one fact of a shipped model, edges where points change included."""
    model = shipped(name)
    field = model.fields[field_name]
    if field.type is FieldType.CHOICE:
        return st.sampled_from(field.choices)
    if field.type is FieldType.BOOLEAN:
        return st.booleans()
    edges = _edges(model, field)
    if field.type is FieldType.DATE:
        days = st.integers(-30, 1500) | st.sampled_from([int(e) for e in edges] or [0])
        return days.map(lambda d: TODAY - timedelta(days=d))
    low = field.min if field.min is not None else -1e6
    high = field.max if field.max is not None else 10 * max([abs(e) for e in edges] + [100.0])
    inside = [e for e in edges if low <= e <= high] or [low]
    if field.type is FieldType.INTEGER:
        whole = [float(math.ceil(e)) for e in inside]
        return st.integers(int(low), int(high)).map(float) | st.sampled_from(whole)
    plain = st.floats(low, high, allow_nan=False, allow_infinity=False)
    return plain | st.sampled_from(inside)


@cache
def facts_for(name: str) -> st.SearchStrategy[dict[str, Any]]:
    """Valid facts of a shipped model, any of them missing."""
    values = {field: st.none() | value_for(name, field) for field in shipped(name).fields}
    return st.fixed_dictionaries(values).map(
        lambda drawn: {k: v for k, v in drawn.items() if v is not None}
    )


@cache
def previous_tier_for(name: str) -> st.SearchStrategy[str | None]:
    return st.none() | st.sampled_from((*shipped(name).tier_names, "gone"))


def rows_for(name: str) -> st.SearchStrategy[list[tuple[dict[str, Any], str | None]]]:
    return st.lists(st.tuples(facts_for(name), previous_tier_for(name)), min_size=1, max_size=8)


# -- (1) bulk equals one by one -----------------------------------------------------------


def _assert_bulk_equals_one_by_one(
    model: CompiledModel, accounts: list[tuple[dict[str, Any], str | None]]
) -> None:
    rows = [facts for facts, _ in accounts]
    previous = [tier for _, tier in accounts]
    bulk = score_columns(
        model, columns_from_rows(model, rows), previous_tiers=previous, today=TODAY
    )
    tiers = bulk.tiers()

    assert len(bulk) == len(rows)
    for i, (facts, before) in enumerate(zip(rows, previous, strict=True)):
        one = score(model, facts, previous_tier=before, today=TODAY)
        assert bulk.total[i] == one.total, (facts, before)
        assert bulk.base[i] == one.base, (facts, before)
        for name, value in one.sub_scores.items():
            assert bulk.sub_scores[name][i] == value, (name, facts)
        assert tiers[i] == one.tier, (facts, before)
        assert bulk.tier_index[i] == one.tier_rank


@PROPERTY
@given(rows_for("default"))
def test_bulk_scoring_of_the_default_model_equals_scoring_one_by_one(
    accounts: list[tuple[dict[str, Any], str | None]],
) -> None:
    _assert_bulk_equals_one_by_one(shipped("default"), accounts)


@pytest.mark.parametrize("name", ["prospect", "five_grade", "quadrant"])
@PROPERTY
@given(data=st.data())
def test_bulk_scoring_of_every_other_shipped_model_equals_scoring_one_by_one(
    name: str, data: st.DataObject
) -> None:
    _assert_bulk_equals_one_by_one(shipped(name), data.draw(rows_for(name)))


def test_bulk_scoring_reads_choice_codes_and_tier_ranks_as_well_as_names() -> None:
    model = shipped("default")
    choices = model.fields["company_size"].choices
    rows: list[dict[str, Any]] = [{"company_size": "large"}, {"company_size": "small"}, {}]
    by_name = score_columns(model, columns_from_rows(model, rows), previous_tiers=["A", None, "C"])

    columns = columns_from_rows(model, rows)
    codes = np.array([choices.index("large"), choices.index("small"), -1])
    by_code = score_columns(
        model, {**columns, "company_size": codes}, previous_tiers=np.array([0, -1, 2])
    )

    assert list(by_code.total) == list(by_name.total)
    assert by_code.tiers() == by_name.tiers()


def test_bulk_scoring_needs_todays_date_only_when_a_date_is_given() -> None:
    model = shipped("default")
    rows: list[dict[str, Any]] = [{"cumulative_revenue": 2e6}, {}]

    bulk = score_columns(model, columns_from_rows(model, rows))

    assert list(bulk.total) == [score(model, facts).total for facts in rows]
    with pytest.raises(ScoringError, match="needs today's date"):
        score_columns(model, {"last_order_date": [TODAY, None]})


def test_bulk_scoring_of_no_accounts_is_empty() -> None:
    model = shipped("default")

    assert len(score_columns(model, {})) == 0


# -- (2) raising a fact that only earns points never lowers the score ---------------------


def _is_increasing(model: CompiledModel, name: str) -> bool:
    """Every criterion on the field earns more as it grows; every adjustment on it only adds."""
    field = model.fields[name]
    edges = _edges(model, field)
    probes = sorted({*edges, *(e - 0.5 for e in edges), *(e + 0.5 for e in edges)})
    for criterion in model.criteria:
        if criterion.field != name:
            continue
        if criterion.kind is CriterionKind.LINEAR and criterion.low > criterion.high:
            return False
        points = [criterion_points(criterion, p)[0] for p in probes]
        if points != sorted(points):
            return False
    for adjustment in model.adjustments:
        if name == adjustment.per or name in adjustment.condition.names():
            if adjustment.points < 0 or _negated(adjustment.condition, name):
                return False
            if not all(op in (">=", ">") for op in _ops(adjustment.condition, name)):
                return False
    return True


def _ops(expr: Expr, name: str) -> Iterator[str]:
    if isinstance(expr, Compare) and expr.name == name:
        yield expr.op
    if isinstance(expr, Member) and expr.name == name:
        yield "in"
    for item in getattr(expr, "items", ()):
        yield from _ops(item, name)
    if isinstance(expr, Not):
        yield from _ops(expr.item, name)


def _negated(expr: Expr, name: str) -> bool:
    if isinstance(expr, Not):
        return name in expr.item.names()
    return any(_negated(item, name) for item in getattr(expr, "items", ()))


@pytest.mark.parametrize(
    ("name", "field"), [(name, field) for name, fields in INCREASING.items() for field in fields]
)
def test_the_facts_taken_as_increasing_only_earn_points_as_they_grow(name: str, field: str) -> None:
    assert _is_increasing(shipped(name), field)


def test_a_lower_is_better_fact_is_not_taken_as_increasing() -> None:
    assert not _is_increasing(shipped("quadrant"), "share_of_wallet")
    assert not _is_increasing(shipped("default"), "last_order_date")
    assert not _is_increasing(shipped("five_grade"), "overdue_payments")


@pytest.mark.parametrize("name", SHIPPED)
@PROPERTY
@given(data=st.data())
def test_raising_a_fact_that_only_earns_points_never_lowers_the_score(
    name: str, data: st.DataObject
) -> None:
    model = shipped(name)
    facts = data.draw(facts_for(name))
    field = data.draw(st.sampled_from(INCREASING[name]))
    low, high = sorted(data.draw(st.tuples(value_for(name, field), value_for(name, field))))

    before = score(model, {**facts, field: low}, today=TODAY)
    after = score(model, {**facts, field: high}, today=TODAY)

    assert after.total >= before.total
    for sub, value in before.sub_scores.items():
        assert after.sub_scores[sub] >= value
    if all(t.min is not None for t in model.tiers[:-1]):
        assert after.tier_rank <= before.tier_rank


@PROPERTY
@given(facts_for("default"), st.integers(-30, 1500), st.integers(-30, 1500))
def test_a_more_recent_last_order_never_lowers_the_default_score(
    facts: dict[str, Any], first: int, second: int
) -> None:
    model = shipped("default")
    older, newer = sorted((first, second))

    recent = score(model, {**facts, "last_order_date": TODAY - timedelta(days=older)}, today=TODAY)
    stale = score(model, {**facts, "last_order_date": TODAY - timedelta(days=newer)}, today=TODAY)

    assert recent.total >= stale.total


# -- (3) scoring never fails on valid facts ------------------------------------------------


@pytest.mark.parametrize("name", SHIPPED)
@PROPERTY
@given(data=st.data())
def test_scoring_never_fails_on_valid_facts(name: str, data: st.DataObject) -> None:
    model = shipped(name)
    facts, previous = data.draw(st.tuples(facts_for(name), previous_tier_for(name)))

    result = score(model, facts, previous_tier=previous, today=TODAY)

    assert 0.0 <= result.total <= 100.0
    assert all(0.0 <= value <= 100.0 for value in result.sub_scores.values())
    assert result.tier in model.tier_names
    assert result.tier == model.tier_names[result.tier_rank]
    assert 0.0 <= result.completeness <= 100.0
    assert set(result.missing) <= set(model.scored_fields())
    if result.margin_below is not None:
        assert result.margin_below >= 0.0
    else:
        assert result.tier_rank == len(model.tiers) - 1 or model.tiers[result.tier_rank].min is None


@pytest.mark.parametrize("name", SHIPPED)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_what_it_takes_never_fails_and_its_changes_do_reach_the_next_tier(
    name: str, data: st.DataObject
) -> None:
    model = shipped(name)
    facts = data.draw(facts_for(name))

    takes = what_it_takes(model, facts, today=TODAY)

    for change in takes.changes:
        changed = {**facts, change.field: change.proposed}
        result = score(model, changed, previous_tier=takes.tier, today=TODAY)
        assert result.tier_rank < model.tier_names.index(takes.tier)
    for move in takes.best_moves:
        assert move.points_gain > 0
        assert not move.reaches_next_tier


@PROPERTY
@given(facts_for("prospect"))
def test_qualifying_never_fails_and_a_decided_grade_is_the_scored_tier(
    facts: dict[str, Any],
) -> None:
    model = shipped("prospect")
    asked = [q.field for q in model.questions]
    answers_for_questions = {k: v for k, v in facts.items() if k in asked}

    result = qualify(model, answers_for_questions)

    assert result.provisional_grade in result.possible_grades
    assert result.possible_grades[0] == result.provisional_grade
    assert all(q.field not in answers_for_questions for q in result.open_questions)
    if result.decided:
        assert result.grade == score(model, answers_for_questions).tier
