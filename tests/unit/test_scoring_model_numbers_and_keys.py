"""A model file whose numbers are not finite, or that gives a key twice, is refused with
the key path or line: such a file used to pass ``model check`` and score NaN later."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import scoring
from scoring import ModelError, load_model

BASE = """
name: numbers
version: 1
hysteresis: 3
title: {en: Numbers, zh: 数字}
fields:
  revenue: {type: money, min: 0, max: 1000000000}
  margin: {type: percent, default: 10}
  referrals: {type: integer, min: 0}
  key_account: {type: boolean}
  size:
    type: choice
    choices: {small: {en: small, zh: 小}, large: {en: large, zh: 大}}
sub_scores:
  value: {weight: 60}
  potential: {weight: 40}
criteria:
  - field: revenue
    sub_score: value
    weight: 50
    bands:
      - {min: 1000000, points: 50}
      - {min: 100000, max: 1000000, points: 25}
  - {field: margin, sub_score: value, weight: 20, linear: {from: 5, to: 30}}
  - {field: size, sub_score: potential, weight: 30, map: {small: 10, large: 30}}
  - {field: key_account, sub_score: potential, weight: 10, boolean: {if_true: 10}}
adjustments:
  - {when: referrals >= 1, points: 2, per: referrals, max_points: 6, reason: Referrals}
adjustment_limits: {min: -10, max: 10}
tiers:
  - {name: A, min: 75}
  - {name: B, min: 50}
  - {name: C}
"""


def _text(old: str, new: str) -> str:
    text = textwrap.dedent(BASE)
    assert text.count(old) == 1, old
    return text.replace(old, new)


def _problems(text: str) -> list[str]:
    with pytest.raises(ModelError) as caught:
        load_model(text, source="numbers.yaml")
    return [str(problem) for problem in caught.value.problems]


FINITE = "must be a finite number (.inf and .nan are not allowed)"


def test_the_base_model_of_these_tests_is_valid() -> None:
    assert load_model(textwrap.dedent(BASE)).name == "numbers"


# -- non-finite numbers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ("hysteresis: 3", "hysteresis: .nan", "hysteresis"),
        ("value: {weight: 60}", "value: {weight: .inf}", "sub_scores.value.weight"),
        ("sub_score: value,\n    weight: 50", "sub_score: value,\n    weight: .inf", ""),
        ("{min: 1000000, points: 50}", "{min: .nan, points: 50}", "criteria[0].bands[0].min"),
        ("max: 1000000, points: 25", "max: .inf, points: 25", "criteria[0].bands[1].max"),
        ("max: 1000000, points: 25", "max: 1000000, points: .nan", "criteria[0].bands[1].points"),
        ("from: 5, to: 30", "from: -.inf, to: 30", "criteria[1].linear.from"),
        ("from: 5, to: 30", "from: 5, to: .inf", "criteria[1].linear.to"),
        ("small: 10, large: 30}}", "small: .nan, large: 30}}", "criteria[2].map.small"),
        ("boolean: {if_true: 10}", "boolean: {if_true: .nan}", "criteria[3].boolean.if_true"),
        ("points: 2, per", "points: .inf, per", "adjustments[0].points"),
        ("max_points: 6", "max_points: .inf", "adjustments[0].max_points"),
        ("{min: -10, max: 10}", "{min: -.inf, max: 10}", "adjustment_limits.min"),
        ("{name: A, min: 75}", "{name: A, min: .nan}", "tiers[0].min"),
        ("min: 0, max: 1000000000", "min: -.inf, max: 1000000000", "fields.revenue.min"),
        ("min: 0, max: 1000000000", "min: 0, max: .inf", "fields.revenue.max"),
        ("default: 10", "default: .nan", "fields.margin.default"),
        ("default: 10", "default: -.inf", "fields.margin.default"),
        ("default: 10", "default: 1.0e+999", "fields.margin.default"),
    ],
)
def test_a_number_that_is_not_finite_is_refused_at_its_key_path(
    old: str, new: str, path: str
) -> None:
    if not path:  # a criterion's weight: the line break keeps the match unique
        old, new, path = "weight: 50\n", "weight: .inf\n", "criteria[0].weight"
    assert _problems(_text(old, new)) == [f"{path}: {FINITE}"]


def test_the_audited_model_with_an_infinite_weight_is_refused() -> None:
    text = (Path(scoring.__file__).parent / "models" / "default.yaml").read_text(encoding="utf-8")
    text = text.replace("weight: 50", "weight: .inf").replace("version: 1", "version: 7")

    assert _problems(text) == [f"sub_scores.value.weight: {FINITE}"]


@pytest.mark.parametrize("constant", ["1e999", "-1e999", "1" + "0" * 400])
def test_a_condition_with_a_number_too_large_for_a_float_is_refused(constant: str) -> None:
    text = _text("when: referrals >= 1,", f"when: referrals >= {constant},")

    assert _problems(text) == [
        "adjustments[0].when: a number in the condition is too large; numbers must be finite"
    ]


def test_weights_that_add_up_beyond_the_largest_float_are_refused() -> None:
    text = _text(
        "value: {weight: 60}\n  potential: {weight: 40}",
        "value: {weight: 1.5e308}\n  potential: {weight: 1.5e308}",
    )

    assert _problems(text) == [
        "sub_scores: the weights add up to more than a number can hold; use smaller weights"
    ]


# -- duplicate keys ----------------------------------------------------------------------


def test_a_top_level_key_given_twice_is_refused_with_both_lines() -> None:
    text = _text("hysteresis: 3\n", "hysteresis: 3\nhysteresis: 50\n")

    assert _problems(text) == [
        "line 5, column 1: key 'hysteresis' is given twice (first on line 4); keep one"
    ]


def test_a_nested_key_given_twice_is_refused() -> None:
    text = _text(
        "  key_account: {type: boolean}\n",
        "  key_account: {type: boolean}\n  revenue: {type: number}\n",
    )

    assert _problems(text) == [
        "line 11, column 3: key 'revenue' is given twice (first on line 7); keep one"
    ]


def test_a_key_given_twice_in_a_flow_mapping_is_refused() -> None:
    text = _text("{name: A, min: 75}", "{name: A, min: 75, min: 10}")

    assert _problems(text) == [
        "line 31, column 24: key 'min' is given twice (first on line 31); keep one"
    ]


def test_a_key_merged_in_with_an_anchor_may_be_overridden() -> None:
    text = _text(
        "  value: {weight: 60}\n  potential: {weight: 40}\n",
        "  value: &sub {weight: 60}\n  potential:\n    <<: *sub\n    weight: 40\n",
    )

    model = load_model(text)

    assert [s.weight for s in model.sub_scores] == [60, 40]
