"""What it takes to reach the next tier, and how far the account is above the tier below."""

from __future__ import annotations

import textwrap
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import pytest

import scoring
from scoring import CompiledModel, FactValue, load_model, score, what_it_takes

TODAY = date(2026, 3, 31)

LADDER = """
name: ladder
version: 1
title: {en: Ladder, zh: 阶梯}
fields:
  revenue: {type: money, min: 0}
  orders: {type: integer, min: 0}
  industry:
    type: choice
    choices: {finance: {en: finance, zh: 金融}, retail: {en: retail, zh: 零售}}
  key_account: {type: boolean}
  last_order: {type: date}
criteria:
  - field: revenue
    weight: 40
    bands: [{min: 1000000, points: 40}, {min: 500000, points: 25}, {min: 100000, points: 10}]
  - {field: orders, weight: 20, bands: [{min: 12, points: 20}, {min: 6, points: 10}]}
  - {field: industry, weight: 20, map: {finance: 20, retail: 5}}
  - {field: key_account, weight: 10, boolean: {if_true: 10}}
  - {field: last_order, weight: 10, bands: [{max: 90, points: 10}]}
tiers:
  - {name: A, min: 60}
  - {name: B, min: 40}
  - {name: C}
"""


@cache
def shipped(name: str) -> CompiledModel:
    path = Path(scoring.__file__).parent / "models" / f"{name}.yaml"
    return load_model(path.read_text(encoding="utf-8"), source=path.name)


@cache
def ladder() -> CompiledModel:
    return load_model(textwrap.dedent(LADDER), source="ladder.yaml")


def _ladder_account(**changes: FactValue) -> dict[str, FactValue]:
    # revenue 600k -> 25; 8 orders -> 10; finance -> 20; not key -> 0; 120 days -> 0 = 55 (B)
    facts: dict[str, FactValue] = {
        "revenue": 600_000.0,
        "orders": 8.0,
        "industry": "finance",
        "key_account": False,
        "last_order": TODAY - timedelta(days=120),
    }
    facts.update(changes)
    return facts


def _machinery_maker() -> dict[str, FactValue]:
    # The default model's B account: base 74.225, no adjustments (see the shipped-model tests).
    return {
        "cumulative_revenue": 12_500_000.0,
        "avg_order_value": 380_000.0,
        "orders_per_year": 9.0,
        "profit_margin": 18.0,
        "revenue_growth": 22.0,
        "company_size": "large",
        "industry": "manufacturing",
        "credit_standing": "good",
        "decision_chain": "long",
        "last_order_date": TODAY - timedelta(days=40),
        "referrals": 0.0,
    }


# -- points needed ------------------------------------------------------------------------


def test_what_it_takes_names_the_next_tier_and_the_points_needed() -> None:
    # 55 now; A from 60 -> 5 points
    takes = what_it_takes(ladder(), _ladder_account(), today=TODAY)

    assert (takes.tier, takes.next_tier) == ("B", "A")
    assert takes.points_needed == pytest.approx({"total": 5.0})


def test_the_points_needed_include_clearing_the_better_tier_by_the_hysteresis() -> None:
    # Default model, B at 74.225: A needs 75 + 3 = 78 -> 78 - 74.225 = 3.775 points.
    takes = what_it_takes(shipped("default"), _machinery_maker(), today=TODAY)

    assert (takes.tier, takes.next_tier) == ("B", "A")
    assert takes.points_needed == pytest.approx({"total": 3.775})


def test_points_alone_cannot_reach_a_tier_given_by_answers() -> None:
    takes = what_it_takes(shipped("prospect"), {"digitised": False, "need_stage": "denies_need"})

    assert (takes.tier, takes.next_tier) == ("D", "C")
    assert takes.points_needed is None
    # Only the stage answer moves the grade; the first choice that does (A) is shown.
    assert [(c.field, c.proposed, c.new_tier) for c in takes.changes] == [
        ("need_stage", "selecting", "A")
    ]


def test_the_top_tier_has_nothing_to_reach() -> None:
    takes = what_it_takes(ladder(), _ladder_account(revenue=2_000_000.0), today=TODAY)

    assert takes.tier == "A"
    assert takes.next_tier is None
    assert takes.points_needed is None
    assert takes.changes == ()
    assert takes.best_moves == ()


# -- the smallest single-fact changes -----------------------------------------------------


def test_the_smallest_single_fact_changes_come_easiest_first() -> None:
    # Each of these adds at least the 5 points needed:
    #   orders 8 -> 12 (+10; a change of 4/8 = 50%), revenue 600k -> 1M (+15; 67%),
    #   last order within 90 days (+10), key account (+10; not a number, so last).
    takes = what_it_takes(ladder(), _ladder_account(), today=TODAY)

    assert [(c.field, c.proposed) for c in takes.changes] == [
        ("orders", 12.0),
        ("revenue", 1_000_000.0),
        ("last_order", TODAY - timedelta(days=89)),
    ]
    assert [c.points_gain for c in takes.changes] == [10.0, 15.0, 10.0]
    assert all(c.new_tier == "A" and c.reaches_next_tier for c in takes.changes)
    assert takes.changes[0].current == 8.0
    assert takes.changes[0].label.get() == "orders"


def test_the_number_of_changes_can_be_limited() -> None:
    takes = what_it_takes(ladder(), _ladder_account(), today=TODAY, limit=5)

    assert [c.field for c in takes.changes] == ["orders", "revenue", "last_order", "key_account"]
    assert takes.changes[-1].proposed is True


def test_a_band_edge_is_the_smallest_change_into_a_band() -> None:
    # With 2 orders (0 points) the account has 45 and needs 15: revenue 600k -> exactly 1M,
    # the band's min (+15, a change of 67%), or orders 2 -> 12 (+20, a change of 500%).
    takes = what_it_takes(ladder(), _ladder_account(orders=2.0), today=TODAY)

    assert [(c.field, c.proposed) for c in takes.changes] == [
        ("revenue", 1_000_000.0),
        ("orders", 12.0),
    ]
    assert score(ladder(), _ladder_account(orders=2.0, revenue=999_999.0), today=TODAY).tier == "B"


def test_a_linear_criterion_is_refined_to_its_continuous_minimum() -> None:
    # Default model, B at 74.225, A needs 78 (hysteresis). Margin adds 20 points over 5-30%
    # to the value sub-score (max 80), which weighs 50 of 100:
    #   base gain = 0.5 * 100 * (20 * dm / 25) / 80 = 0.5 * dm
    #   0.5 * dm >= 3.775 -> dm >= 7.55 -> margin 18 + 7.55 = 25.55 -> 25.6 at 0.1 steps.
    # Growth adds 40 points over 0-50% to potential (max 80), which weighs 30:
    #   base gain = 0.3 * 100 * (40 * dg / 50) / 80 = 0.3 * dg -> dg >= 12.583 -> 34.6.
    # One more referral is not enough (+2 -> 76.225) but two are (+4 -> 78.225).
    takes = what_it_takes(shipped("default"), _machinery_maker(), today=TODAY)

    assert [(c.field, c.proposed) for c in takes.changes] == [
        ("profit_margin", 25.6),
        ("revenue_growth", 34.6),
        ("referrals", 2.0),
    ]
    assert takes.changes[0].points_gain == pytest.approx(3.8)
    below = score(
        shipped("default"),
        {**_machinery_maker(), "profit_margin": 25.5},
        previous_tier="B",
        today=TODAY,
    )
    assert below.tier == "B"


def test_the_biggest_single_gains_are_shown_when_no_single_change_is_enough() -> None:
    # 25 + 10 + 5 + 0 + 0 = 40 (B); A needs 60, 20 more. Best single moves: revenue -> 1M
    # (+15), retail -> finance (+15), then orders -> 12, key account and a recent order
    # (+10 each; the first in field order is shown).
    facts = _ladder_account(industry="retail")
    takes = what_it_takes(ladder(), facts, today=TODAY)

    assert takes.tier == "B"
    assert takes.changes == ()
    assert [(m.field, m.proposed, m.points_gain) for m in takes.best_moves] == [
        ("revenue", 1_000_000.0, 15.0),
        ("industry", "finance", 15.0),
        ("orders", 12.0, 10.0),
    ]
    assert not any(m.reaches_next_tier for m in takes.best_moves)


def test_a_missing_fact_can_be_the_change_that_reaches_the_next_tier() -> None:
    facts = _ladder_account()
    del facts["orders"]  # 45 without the 10 points of the orders band

    takes = what_it_takes(ladder(), facts, today=TODAY)

    assert ("orders", None, 12.0) in [(c.field, c.current, c.proposed) for c in takes.changes]


# -- the tier below -----------------------------------------------------------------------


def test_what_it_takes_says_how_far_the_account_is_above_the_tier_below() -> None:
    # Default model, B at 74.225; B is held down to 60 - 3 = 57 -> 17.225 points of margin.
    takes = what_it_takes(shipped("default"), _machinery_maker(), today=TODAY)

    assert takes.tier_below == "C"
    assert takes.margin_below == pytest.approx(17.225)


def test_the_top_tier_still_knows_its_margin_above_the_tier_below() -> None:
    facts = {**_machinery_maker(), "referrals": 1.0}  # 76.225 -> A, held down to 72

    takes = what_it_takes(shipped("default"), facts, today=TODAY)

    assert (takes.tier, takes.tier_below) == ("A", "B")
    assert takes.margin_below == pytest.approx(4.225)


def test_the_last_tier_has_no_tier_below() -> None:
    takes = what_it_takes(ladder(), _ladder_account(revenue=0.0, industry="retail"), today=TODAY)

    assert takes.tier == "C"
    assert takes.tier_below is None
    assert takes.margin_below is None


def test_what_it_takes_can_start_from_a_result_scored_with_hysteresis() -> None:
    # 76.225 from a previous B stays B (A needs 78): 1.775 more points are needed.
    #   margin: 0.5 * dm >= 1.775 -> 18 + 3.55 = 21.55 -> 21.6 (a change of 20%)
    #   growth: 0.3 * dg >= 1.775 -> 22 + 5.917 = 27.917 -> 28.0 (27%)
    #   order value 380k -> 500k: +5 of 80 value points -> 0.5 * 6.25 = +3.125 (32%)
    #   orders 9 -> 12 a year: +5 value points -> +3.125 (33%)
    #   one more referral: +2 (100%)
    facts = {**_machinery_maker(), "referrals": 1.0}
    result = score(shipped("default"), facts, previous_tier="B", today=TODAY)

    takes = what_it_takes(shipped("default"), facts, result=result, today=TODAY, limit=5)

    assert takes.tier == "B"
    assert takes.points_needed == pytest.approx({"total": 1.775})
    assert [(c.field, c.proposed) for c in takes.changes] == [
        ("profit_margin", 21.6),
        ("revenue_growth", 28.0),
        ("avg_order_value", 500_000.0),
        ("orders_per_year", 12.0),
        ("referrals", 2.0),
    ]
