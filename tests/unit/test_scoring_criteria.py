"""Criteria of every kind on every field type, sub-scores and base, and adjustments."""

from __future__ import annotations

import textwrap
from datetime import date, timedelta

import pytest

from scoring import CompiledModel, FactValue, ScoringError, load_model, score
from scoring.model import CriterionKind

TODAY = date(2026, 3, 31)

KINDS = """
name: kinds
version: 1
title: {en: Every kind, zh: 各种规则}
fields:
  revenue: {type: money, min: 0, label: {en: Revenue, zh: 销售额}}
  orders: {type: integer, min: 0}
  margin: {type: percent}
  rating: {type: number, default: 3}
  size:
    type: choice
    choices: {small: {en: small, zh: 小}, medium: {en: medium, zh: 中}, large: {en: large, zh: 大}}
  key_account: {type: boolean}
  last_order: {type: date}
sub_scores:
  value: {weight: 3, label: {en: Value, zh: 价值}}
  fit: {weight: 1}
criteria:
  - field: revenue
    sub_score: value
    weight: 40
    bands:
      - {min: 1000000, points: 40}
      - {min: 100000, max: 1000000, points: 20}
  - field: orders
    sub_score: value
    weight: 10
    bands: [{min: 12, points: 10}, {min: 4, points: 6}, {points: 1}]
  - {field: margin, sub_score: value, weight: 20, linear: {from: 10, to: 30}}
  - {field: last_order, sub_score: value, weight: 30, linear: {from: 365, to: 0}}
  - {field: rating, sub_score: fit, weight: 10, linear: {from: 0, to: 5}}
  - {field: size, sub_score: fit, weight: 20, map: {small: 5, large: 20}}
  - {field: key_account, sub_score: fit, weight: 10, boolean: {if_true: 10, if_false: 2}}
tiers:
  - {name: A, min: 50}
  - {name: B}
"""

ADJUST = """
name: adjust
version: 1
title: {en: Adjustments, zh: 加减分}
fields:
  revenue: {type: money, min: 0}
  referrals: {type: integer, min: 0, default: 0}
  overdue: {type: boolean}
criteria:
  - {field: revenue, weight: 100, linear: {from: 0, to: 1000000}}
adjustments:
  - id: referrals
    when: referrals >= 1
    points: 2
    per: referrals
    max_points: 6
    reason: {en: Referred customers, zh: 推荐客户}
  - id: overdue
    when: overdue
    points: -10
    reason: {en: Overdue payments, zh: 逾期付款}
  - id: big
    when: base >= 80
    points: 5
    reason: {en: Large account, zh: 大客户}
adjustment_limits: {min: -8, max: 10}
tiers:
  - {name: A, min: 50}
  - {name: B}
"""


def _model(text: str) -> CompiledModel:
    return load_model(textwrap.dedent(text), source="inline.yaml")


def _kinds_facts(**changes: FactValue | None) -> dict[str, FactValue]:
    facts: dict[str, FactValue | None] = {
        "revenue": 1_200_000.0,
        "orders": 6.0,
        "margin": 25.0,
        "rating": 4.0,
        "size": "large",
        "key_account": True,
        "last_order": TODAY - timedelta(days=73),
    }
    facts.update(changes)
    return {k: v for k, v in facts.items() if v is not None}


def _points(criterion_id: str, **changes: FactValue | None) -> float:
    result = score(_model(KINDS), _kinds_facts(**changes), today=TODAY)
    return result.criterion(criterion_id).points


# -- sub-scores and base ------------------------------------------------------------------


def test_sub_scores_are_percent_of_their_criteria_points_and_base_is_their_weighted_mean() -> None:
    # value (max 40 + 10 + 20 + 30 = 100): revenue 1.2M -> 40; 6 orders -> 6;
    #   margin 25%: 20 * (25 - 10) / 20 = 15; 73 days: 30 * (73 - 365) / (0 - 365) = 24 -> 85
    # fit (max 10 + 20 + 10 = 40): rating 4: 10 * 4 / 5 = 8; large -> 20; key -> 10
    #   -> 38 / 40 = 95
    # base = (3 * 85 + 1 * 95) / 4 = 87.5
    result = score(_model(KINDS), _kinds_facts(), today=TODAY)

    assert result.sub_scores == {"value": pytest.approx(85.0), "fit": pytest.approx(95.0)}
    assert result.base == pytest.approx(87.5)
    assert result.total == pytest.approx(87.5)
    assert result.missing == ()
    assert result.completeness == 100.0


def test_a_model_without_sub_scores_scores_points_out_of_its_total_weight() -> None:
    model = _model(ADJUST)

    result = score(model, {"revenue": 250_000.0})

    assert not model.has_sub_scores
    assert result.sub_scores == {"score": 25.0}
    assert result.base == 25.0


def test_the_best_earning_criteria_come_first_as_top_reasons() -> None:
    result = score(_model(KINDS), _kinds_facts(), today=TODAY)

    assert [c.id for c in result.top_reasons()] == ["revenue", "last_order", "size"]


def test_a_criterion_takes_its_label_from_the_field() -> None:
    model = _model(KINDS)

    assert model.criteria[0].label.get("zh") == "销售额"
    assert model.criteria[0].kind is CriterionKind.BANDS


# -- missing facts and defaults -----------------------------------------------------------


def test_a_missing_fact_scores_zero_and_is_reported() -> None:
    # value loses the 40 revenue points: 85 - 40 = 45; six of seven facts known.
    result = score(_model(KINDS), _kinds_facts(revenue=None), today=TODAY)

    assert result.criterion("revenue").points == 0
    assert result.criterion("revenue").missing
    assert result.criterion("revenue").value is None
    assert result.sub_scores["value"] == pytest.approx(45.0)
    assert result.missing == ("revenue",)
    assert result.completeness == pytest.approx(100 * 6 / 7)


def test_a_missing_fact_with_a_default_scores_the_default_and_is_still_reported() -> None:
    # rating default 3: 10 * 3 / 5 = 6 points
    result = score(_model(KINDS), _kinds_facts(rating=None), today=TODAY)

    assert result.criterion("rating").points == pytest.approx(6.0)
    assert result.criterion("rating").value == 3.0
    assert result.criterion("rating").missing
    assert result.missing == ("rating",)


def test_no_facts_at_all_scores_zero_with_every_fact_missing() -> None:
    model = _model(KINDS)

    result = score(model, {}, today=TODAY)

    # Only the rating default (6 of fit's 40 points) counts: fit = 15, base = 15 / 4 = 3.75.
    assert result.total == pytest.approx(3.75)
    assert len(result.missing) == 7
    assert result.completeness == 0.0


def test_a_date_fact_cannot_be_scored_without_todays_date() -> None:
    with pytest.raises(ScoringError, match="last_order is a date"):
        score(_model(KINDS), _kinds_facts())


# -- bands --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("revenue", "points"),
    [(1_000_000.0, 40), (999_999.0, 20), (100_000.0, 20), (99_999.0, 0), (0.0, 0)],
)
def test_a_band_includes_its_min_and_excludes_its_max(revenue: float, points: float) -> None:
    assert _points("revenue", revenue=revenue) == points


def test_a_value_in_no_band_scores_zero_without_a_band() -> None:
    result = score(_model(KINDS), _kinds_facts(revenue=5_000.0), today=TODAY)

    assert result.criterion("revenue").band is None
    assert result.criterion("revenue").points == 0


@pytest.mark.parametrize(
    ("orders", "points"), [(30.0, 10), (12.0, 10), (4.0, 6), (3.0, 1), (0.0, 1)]
)
def test_the_first_matching_band_wins(orders: float, points: float) -> None:
    # bands: >= 12 -> 10, >= 4 -> 6, anything -> 1; 30 matches all three and takes the first.
    assert _points("orders", orders=orders) == points


def test_a_band_describes_its_range() -> None:
    model = _model(KINDS)
    bands = (model.criteria[0].bands[0], *model.criteria[1].bands)

    assert [b.describe() for b in bands] == ["≥ 1,000,000", "≥ 12", "≥ 4", "any"]


# -- linear -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("margin", "points"),
    [(5.0, 0.0), (10.0, 0.0), (20.0, 10.0), (25.0, 15.0), (30.0, 20.0), (45.0, 20.0)],
)
def test_a_linear_criterion_rises_from_zero_to_its_weight_and_is_clamped(
    margin: float, points: float
) -> None:
    # margin: 0 points at 10%, 20 points at 30%
    assert _points("margin", margin=margin) == pytest.approx(points)


@pytest.mark.parametrize(("days", "points"), [(0, 30.0), (73, 24.0), (365, 0.0), (500, 0.0)])
def test_a_linear_criterion_from_above_to_below_rewards_lower_values(
    days: int, points: float
) -> None:
    # last order: from 365 days (0 points) to 0 days (30 points); dates read as days since.
    assert _points("last_order", last_order=TODAY - timedelta(days=days)) == pytest.approx(points)


def test_a_linear_criterion_on_a_plain_number_field() -> None:
    assert _points("rating", rating=2.5) == pytest.approx(5.0)


# -- map and boolean ----------------------------------------------------------------------


@pytest.mark.parametrize(("size", "points"), [("small", 5), ("large", 20), ("medium", 0)])
def test_a_map_criterion_gives_each_choice_its_points_and_unmapped_choices_zero(
    size: str, points: float
) -> None:
    assert _points("size", size=size) == points


@pytest.mark.parametrize(("key", "points"), [(True, 10), (False, 2), (None, 0)])
def test_a_boolean_criterion_scores_yes_no_and_missing(key: bool | None, points: float) -> None:
    assert _points("key_account", key_account=key) == points


# -- adjustments --------------------------------------------------------------------------


def test_a_fixed_adjustment_adds_its_points_when_its_condition_holds() -> None:
    # base = 900k / 1M * 100 = 90 >= 80 -> +5 -> 95
    result = score(_model(ADJUST), {"revenue": 900_000.0})

    assert [(a.id, a.points) for a in result.adjustments] == [("big", 5.0)]
    assert result.adjustments[0].condition == "base >= 80"
    assert result.adjustments[0].reason.get("zh") == "大客户"
    assert result.total == pytest.approx(95.0)


def test_a_per_unit_adjustment_multiplies_its_points_by_the_fact() -> None:
    # base 50; 2 referrals * 2 = +4 -> 54
    result = score(_model(ADJUST), {"revenue": 500_000.0, "referrals": 2.0})

    assert [(a.id, a.points, a.capped) for a in result.adjustments] == [("referrals", 4.0, False)]
    assert result.total == pytest.approx(54.0)


def test_a_per_unit_adjustment_is_capped_at_its_max_points() -> None:
    # 5 referrals * 2 = 10 -> capped at 6 -> 56
    result = score(_model(ADJUST), {"revenue": 500_000.0, "referrals": 5.0})

    assert [(a.id, a.points, a.capped) for a in result.adjustments] == [("referrals", 6.0, True)]
    assert result.total == pytest.approx(56.0)


def test_a_negative_adjustment_is_held_to_the_lower_adjustment_limit() -> None:
    # overdue -10, but adjustments together may take away at most 8: 50 - 8 = 42
    result = score(_model(ADJUST), {"revenue": 500_000.0, "overdue": True})

    assert [(a.id, a.points) for a in result.adjustments] == [("overdue", -10.0)]
    assert result.adjustment_total == -8.0
    assert result.total == pytest.approx(42.0)


def test_adjustments_together_are_held_to_the_upper_adjustment_limit() -> None:
    # base 90; referrals 4 * 2 = 8 -> capped 6; big +5: 11 -> limited to 10 -> 100
    result = score(_model(ADJUST), {"revenue": 900_000.0, "referrals": 4.0})

    assert result.adjustment_total == 10.0
    assert result.total == pytest.approx(100.0)


@pytest.mark.parametrize(
    ("revenue", "overdue", "total"),
    [(1_000_000.0, False, 100.0), (30_000.0, True, 0.0)],
)
def test_the_total_stays_between_0_and_100(revenue: float, overdue: bool, total: float) -> None:
    # 100 + 5 is held at 100; 3 - 8 is held at 0.
    assert score(_model(ADJUST), {"revenue": revenue, "overdue": overdue}).total == total


def test_an_adjustment_on_a_missing_fact_does_not_apply() -> None:
    result = score(_model(ADJUST), {"revenue": 500_000.0})

    assert result.adjustments == ()
    assert result.total == 50.0


def test_an_adjustment_uses_the_default_of_its_per_field() -> None:
    # referrals defaults to 0: the condition referrals >= 1 does not hold.
    assert score(_model(ADJUST), {"revenue": 500_000.0, "referrals": 0.0}).adjustments == ()
