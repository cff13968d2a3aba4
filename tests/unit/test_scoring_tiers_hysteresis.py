"""Tier rules (thresholds and `when` rules, first match wins) and hysteresis."""

from __future__ import annotations

import textwrap

import pytest

from scoring import CompiledModel, FactValue, load_model, score

# One linear criterion from 0 to 100 worth 100 points: the total is the `points` fact itself.
THRESHOLDS = """
name: thresholds
version: 1
title: {en: Thresholds, zh: 阈值}
hysteresis: HYSTERESIS
fields:
  points: {type: number, min: 0, max: 100}
  key_account: {type: boolean}
criteria:
  - {field: points, weight: 100, linear: {from: 0, to: 100}}
tiers:
  - {name: A, min: 75}
  - {name: B, min: 60}
  - {name: C}
"""

RULES = """
name: rules
version: 1
title: {en: Rules, zh: 规则}
hysteresis: 3
fields:
  points: {type: number, min: 0, max: 100}
  key_account: {type: boolean}
criteria:
  - {field: points, weight: 100, linear: {from: 0, to: 100}}
tiers:
  - {name: gold, when: key_account}
  - {name: silver, min: 50}
  - {name: silver_by_rule, when: points >= 20}
  - {name: bronze}
"""


def _thresholds(hysteresis: float = 3) -> CompiledModel:
    text = textwrap.dedent(THRESHOLDS).replace("HYSTERESIS", str(hysteresis))
    return load_model(text, source="thresholds.yaml")


def _tier(total: float, previous: str | None = None, hysteresis: float = 3) -> str:
    return score(_thresholds(hysteresis), {"points": total}, previous_tier=previous).tier


# -- thresholds and rules -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "tier"),
    [(100.0, "A"), (75.0, "A"), (74.99, "B"), (60.0, "B"), (59.9, "C"), (0.0, "C")],
)
def test_a_threshold_tier_takes_totals_from_its_min(total: float, tier: str) -> None:
    assert _tier(total) == tier


def test_a_tier_min_reads_as_a_rule_on_the_total() -> None:
    model = _thresholds()

    assert [t.min for t in model.tiers] == [75, 60, None]
    assert model.tiers[0].condition is not None
    assert model.tiers[0].condition.names() == {"total"}
    assert model.tiers[-1].condition is None


@pytest.mark.parametrize(
    ("facts", "tier"),
    [
        ({"points": 10.0, "key_account": True}, "gold"),
        ({"points": 90.0, "key_account": True}, "gold"),
        ({"points": 90.0, "key_account": False}, "silver"),
        ({"points": 30.0}, "silver_by_rule"),
        ({"points": 10.0}, "bronze"),
    ],
)
def test_the_first_tier_whose_rule_holds_wins(facts: dict[str, FactValue], tier: str) -> None:
    model = load_model(textwrap.dedent(RULES), source="rules.yaml")

    assert score(model, facts).tier == tier


def test_a_result_carries_the_tier_label_rank_and_playbook_slot() -> None:
    result = score(_thresholds(), {"points": 65.0})

    assert (result.tier, result.tier_rank, result.tier_label.get()) == ("B", 1, "B")
    assert result.playbook is None


# -- hysteresis ---------------------------------------------------------------------------


@pytest.mark.parametrize("total", [74.9, 73.0, 72.0])
def test_the_previous_tier_is_held_while_the_score_is_within_the_hysteresis(total: float) -> None:
    # A from 75; held from 75 - 3 = 72.
    result = score(_thresholds(), {"points": total}, previous_tier="A")

    assert result.tier == "A"
    assert result.hysteresis.raw_tier == "B"
    assert result.hysteresis.held
    assert result.hysteresis.previous_tier == "A"
    assert result.hysteresis.points == 3


def test_the_previous_tier_drops_once_the_score_falls_below_the_hysteresis() -> None:
    result = score(_thresholds(), {"points": 71.9}, previous_tier="A")

    assert result.tier == "B"
    assert not result.hysteresis.held


@pytest.mark.parametrize(("total", "tier"), [(75.0, "B"), (77.9, "B"), (78.0, "A")])
def test_an_upgrade_is_blocked_until_the_better_tier_is_cleared_by_the_hysteresis(
    total: float, tier: str
) -> None:
    # From B, A needs 75 + 3 = 78.
    assert _tier(total, previous="B") == tier


@pytest.mark.parametrize(("total", "tier"), [(65.0, "B"), (60.0, "B"), (58.0, "C")])
def test_a_drop_lands_in_the_next_lower_tier_on_that_tiers_own_bar(total: float, tier: str) -> None:
    # From A, B is not the previous tier: its bar stays at 60, not 57.
    assert _tier(total, previous="A") == tier


@pytest.mark.parametrize(("total", "tier"), [(62.9, "C"), (63.0, "B"), (77.0, "B"), (78.0, "A")])
def test_a_climb_over_several_tiers_clears_each_bar_by_the_hysteresis(
    total: float, tier: str
) -> None:
    assert _tier(total, previous="C") == tier


def test_a_previous_tier_the_model_does_not_have_is_ignored() -> None:
    assert _tier(74.0, previous="Z") == "B"


def test_a_model_without_hysteresis_follows_the_score() -> None:
    assert _tier(74.0, previous="A", hysteresis=0) == "B"
    assert _tier(75.0, previous="B", hysteresis=0) == "A"


def test_hysteresis_also_holds_a_rule_on_sub_scores() -> None:
    text = """
    name: quadrants
    version: 1
    title: {en: Q, zh: 象限}
    hysteresis: 3
    fields:
      a: {type: number}
      b: {type: number}
    sub_scores:
      value: {weight: 1}
      potential: {weight: 1}
    criteria:
      - {field: a, sub_score: value, weight: 100, linear: {from: 0, to: 100}}
      - {field: b, sub_score: potential, weight: 100, linear: {from: 0, to: 100}}
    tiers:
      - {name: star, when: value >= 60 and potential >= 60}
      - {name: other}
    """
    model = load_model(textwrap.dedent(text), source="q.yaml")

    assert score(model, {"a": 58.0, "b": 70.0}).tier == "other"
    assert score(model, {"a": 58.0, "b": 70.0}, previous_tier="star").tier == "star"
    assert score(model, {"a": 56.0, "b": 70.0}, previous_tier="star").tier == "other"
    assert score(model, {"a": 62.0, "b": 70.0}, previous_tier="other").tier == "other"
    assert score(model, {"a": 63.0, "b": 70.0}, previous_tier="other").tier == "star"


def test_hysteresis_under_not_keeps_its_direction() -> None:
    # `not (total < 60)` is the same bar as `total >= 60` and is held the same way.
    text = textwrap.dedent(THRESHOLDS).replace("HYSTERESIS", "3")
    text = text.replace("{name: B, min: 60}", "{name: B, when: not (total < 60)}")
    model = load_model(text, source="not.yaml")

    assert score(model, {"points": 58.0}, previous_tier="B").tier == "B"
    assert score(model, {"points": 56.0}, previous_tier="B").tier == "C"
    assert score(model, {"points": 61.0}, previous_tier="C").tier == "C"
    assert score(model, {"points": 63.0}, previous_tier="C").tier == "B"


# -- margin above the tier below ----------------------------------------------------------


@pytest.mark.parametrize(("total", "margin"), [(80.0, 8.0), (75.0, 3.0), (65.0, 8.0)])
def test_the_margin_below_counts_the_points_the_score_may_lose_before_the_tier_drops(
    total: float, margin: float
) -> None:
    # Once given, a tier is held down to its bar minus the hysteresis: A to 72, B to 57.
    assert score(_thresholds(), {"points": total}).margin_below == pytest.approx(margin)


def test_the_last_tier_has_no_margin_below() -> None:
    assert score(_thresholds(), {"points": 10.0}).margin_below is None
