"""The condition language of tier rules and adjustments, one account and many at once."""

from __future__ import annotations

import textwrap
from datetime import date, timedelta
from functools import cache

import pytest

from scoring import CompiledModel, FactValue, columns_from_rows, load_model, score, score_columns

TODAY = date(2026, 3, 31)

TEMPLATE = """
name: conditions
version: 1
title: {en: Conditions, zh: 条件}
fields:
  revenue: {type: money, min: 0}
  referrals: {type: integer, min: 0}
  margin: {type: percent}
  industry:
    type: choice
    choices:
      finance: {en: finance, zh: 金融}
      energy: {en: energy, zh: 能源}
      retail: {en: retail, zh: 零售}
  key_account: {type: boolean}
  last_order: {type: date}
sub_scores:
  value: {weight: 1}
criteria:
  - {field: revenue, sub_score: value, weight: 100, linear: {from: 0, to: 1000}}
tiers:
  - name: hit
    when: 'CONDITION'
  - name: miss
"""


@cache
def _model(condition: str) -> CompiledModel:
    return load_model(textwrap.dedent(TEMPLATE).replace("CONDITION", condition), source="c.yaml")


def _matches(condition: str, **facts: FactValue) -> bool:
    model = _model(condition)
    return score(model, facts, today=TODAY).tier == "hit"


ARTICLE = 'referrals >= 2 and industry in ["finance", "energy"] and not key_account'


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        ({"referrals": 2.0, "industry": "finance", "key_account": False}, True),
        ({"referrals": 3.0, "industry": "energy", "key_account": False}, True),
        ({"referrals": 1.0, "industry": "finance", "key_account": False}, False),
        ({"referrals": 2.0, "industry": "retail", "key_account": False}, False),
        ({"referrals": 2.0, "industry": "finance", "key_account": True}, False),
    ],
)
def test_and_in_and_not_combine_as_written(facts: dict[str, FactValue], expected: bool) -> None:
    assert _matches(ARTICLE, **facts) is expected


@pytest.mark.parametrize(
    ("condition", "facts", "expected"),
    [
        ('industry == "retail"', {"industry": "retail"}, True),
        ('industry != "retail"', {"industry": "energy"}, True),
        ('industry not in ["finance", "energy"]', {"industry": "retail"}, True),
        ('industry not in ["finance", "energy"]', {"industry": "energy"}, False),
        ("key_account", {"key_account": True}, True),
        ("key_account == false", {"key_account": False}, True),
        ("true == key_account", {"key_account": True}, True),
        ("not key_account", {"key_account": True}, False),
        ("referrals in [1, 2, 3]", {"referrals": 2.0}, True),
        ("referrals in [1, 2, 3]", {"referrals": 4.0}, False),
        ("2 <= referrals < 5", {"referrals": 4.0}, True),
        ("2 <= referrals < 5", {"referrals": 5.0}, False),
        ("5 <= referrals", {"referrals": 5.0}, True),
        ("margin > -5", {"margin": -4.0}, True),
        ("margin > referrals", {"margin": 12.0, "referrals": 3.0}, True),
        ("referrals > 2 or margin >= 30", {"referrals": 1.0, "margin": 30.0}, True),
        ("referrals > 2 or margin >= 30", {"referrals": 1.0, "margin": 29.9}, False),
        ("true", {}, True),
        ("false", {}, False),
    ],
)
def test_a_condition_reads_facts_as_written(
    condition: str, facts: dict[str, FactValue], expected: bool
) -> None:
    assert _matches(condition, **facts) is expected


@pytest.mark.parametrize(
    ("days", "expected"), [(400, True), (366, True), (365, False), (10, False)]
)
def test_a_date_fact_reads_as_days_since(days: int, expected: bool) -> None:
    assert _matches("last_order > 365", last_order=TODAY - timedelta(days=days)) is expected


@pytest.mark.parametrize(
    ("condition", "revenue", "expected"),
    [
        ("total >= 50", 500.0, True),
        ("total >= 50", 499.0, False),
        ("base >= 50 and value >= 50", 500.0, True),
        ("value < 20", 150.0, True),
    ],
)
def test_a_tier_rule_reads_the_total_base_and_sub_scores(
    condition: str, revenue: float, expected: bool
) -> None:
    # revenue / 1000 * 100 points: 500 -> 50
    assert _matches(condition, revenue=revenue) is expected


@pytest.mark.parametrize(
    ("condition", "facts", "expected"),
    [
        # unknown does not match, and not unknown is still unknown
        ('industry == "finance"', {}, False),
        ('not (industry == "finance")', {}, False),
        ("not key_account", {}, False),
        ("referrals >= 2", {}, False),
        # true or unknown is true; false and unknown is false; true and unknown is unknown
        ('referrals >= 2 or industry == "finance"', {"referrals": 3.0}, True),
        ('referrals >= 2 and industry == "finance"', {"referrals": 3.0}, False),
        ('not (referrals >= 2 and industry == "finance")', {"referrals": 1.0}, True),
        ('not (referrals >= 2 and industry == "finance")', {"referrals": 3.0}, False),
    ],
)
def test_a_missing_fact_makes_a_comparison_unknown_and_unknown_does_not_match(
    condition: str, facts: dict[str, FactValue], expected: bool
) -> None:
    assert _matches(condition, **facts) is expected


CASES = [
    ARTICLE,
    'not (referrals >= 2 and industry == "finance")',
    "key_account or margin > referrals",
    "2 <= referrals < 5 and last_order <= 90",
    'industry not in ["retail"] or total >= 40',
]
ACCOUNTS: list[dict[str, FactValue]] = [
    {},
    {"referrals": 3.0},
    {"referrals": 1.0, "industry": "finance", "key_account": False, "revenue": 450.0},
    {"referrals": 2.0, "industry": "energy", "key_account": False, "margin": 1.0},
    {"referrals": 4.0, "industry": "retail", "last_order": TODAY - timedelta(days=90)},
    {"margin": 5.0, "referrals": 5.0, "key_account": True, "revenue": 999.0},
    {"industry": "retail", "revenue": 400.0},
]


@pytest.mark.parametrize("condition", CASES)
def test_many_accounts_at_once_read_a_condition_like_one_at_a_time(condition: str) -> None:
    model = _model(condition)
    one_by_one = [score(model, facts, today=TODAY).tier for facts in ACCOUNTS]

    bulk = score_columns(model, columns_from_rows(model, ACCOUNTS), today=TODAY)

    assert bulk.tiers() == one_by_one
