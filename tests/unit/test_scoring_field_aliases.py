"""Reps type short or Chinese names for facts (``revenue``, ``销售额``): a field's aliases
mean the field, and a date field may refuse dates after today (``not_after: today``)."""

from __future__ import annotations

import textwrap
from datetime import date
from pathlib import Path

import pytest

import scoring
from scoring import FactsError, ModelError, load_model, parse_value, validate_facts

TODAY = date(2026, 12, 7)

BASE = """
name: aliases
version: 1
title: {en: Aliases, zh: 别名}
fields:
  cumulative_revenue:
    type: money
    aliases: [revenue, Sales, 销售额]
  revenue_growth: {type: percent, aliases: [growth, 增长率]}
  last_order_date: {type: date, aliases: [last_order], not_after: today}
  first_order_date: {type: date}
criteria:
  - {field: cumulative_revenue, weight: 1, linear: {from: 0, to: 1000000}}
tiers:
  - {name: A, min: 50}
  - {name: B}
"""
MODEL = load_model(textwrap.dedent(BASE), source="aliases.yaml")


def _problems(old: str, new: str) -> list[str]:
    text = textwrap.dedent(BASE)
    assert text.count(old) == 1, old
    with pytest.raises(ModelError) as caught:
        load_model(text.replace(old, new), source="aliases.yaml")
    return [str(problem) for problem in caught.value.problems]


def _facts_problems(raw: dict[str, object]) -> list[str]:
    with pytest.raises(FactsError) as caught:
        validate_facts(MODEL, raw, today=TODAY)
    return [str(problem) for problem in caught.value.problems]


# -- aliases -----------------------------------------------------------------------------


def test_an_alias_sets_the_field_it_names() -> None:
    facts = validate_facts(MODEL, {"revenue": "1.2M", "growth": "35%"}, today=TODAY)

    assert facts == {"cumulative_revenue": 1_200_000.0, "revenue_growth": 35.0}


def test_a_chinese_alias_sets_the_field_it_names() -> None:
    facts = validate_facts(MODEL, {"销售额": "120万", "增长率": "12%"}, today=TODAY)

    assert facts == {"cumulative_revenue": 1_200_000.0, "revenue_growth": 12.0}


def test_aliases_and_field_names_are_matched_ignoring_case() -> None:
    facts = validate_facts(MODEL, {"SALES": "5k", "Revenue_Growth": "3"}, today=TODAY)

    assert facts == {"cumulative_revenue": 5_000.0, "revenue_growth": 3.0}


def test_an_alias_with_an_empty_value_clears_the_field() -> None:
    assert validate_facts(MODEL, {"revenue": ""}, today=TODAY) == {"cumulative_revenue": None}


def test_a_bad_value_given_by_alias_is_reported_under_the_name_typed() -> None:
    assert _facts_problems({"revenue": "lots"}) == [
        "revenue: 'lots' is not a number (e.g. 1200000, 1.2M, 350k, 120万)"
    ]


def test_one_field_given_by_its_name_and_an_alias_is_refused() -> None:
    assert _facts_problems({"cumulative_revenue": "1M", "销售额": "2M"}) == [
        "销售额: cumulative_revenue is already given as 'cumulative_revenue'"
    ]


def test_an_unknown_field_suggests_a_close_alias_and_its_field() -> None:
    assert _facts_problems({"revenu": "1M"}) == [
        "revenu: unknown field; did you mean 'revenue' (cumulative_revenue)?"
    ]


def test_an_unknown_field_close_to_a_field_name_suggests_the_name() -> None:
    assert _facts_problems({"revenue_growht": "1"}) == [
        "revenue_growht: unknown field; did you mean 'revenue_growth'?"
    ]


def test_the_model_resolves_names_and_aliases_to_fields() -> None:
    assert MODEL.resolve_field("Sales") is MODEL.fields["cumulative_revenue"]
    assert MODEL.resolve_field("last_order_date") is MODEL.fields["last_order_date"]
    assert MODEL.resolve_field("turnover") is None
    assert MODEL.fields["cumulative_revenue"].aliases == ("revenue", "sales", "销售额")


def test_an_alias_that_is_another_fields_name_is_refused() -> None:
    assert _problems("aliases: [growth, 增长率]", "aliases: [growth, Cumulative_Revenue]") == [
        "fields.revenue_growth.aliases[1]: 'Cumulative_Revenue' is the name of field "
        "'cumulative_revenue'"
    ]


def test_an_alias_shared_by_two_fields_is_refused() -> None:
    assert _problems("aliases: [growth, 增长率]", "aliases: [growth, 销售额]") == [
        "fields.revenue_growth.aliases[1]: '销售额' is already an alias of 'cumulative_revenue'"
    ]


def test_an_alias_repeating_the_fields_own_name_is_harmless() -> None:
    text = textwrap.dedent(BASE).replace("[growth, 增长率]", "[growth, revenue_growth, Growth]")

    assert load_model(text).fields["revenue_growth"].aliases == ("growth", "revenue_growth")


@pytest.mark.parametrize("alias", ["two words", "a=b", ""])
def test_an_alias_that_cannot_be_typed_in_a_set_command_is_refused(alias: str) -> None:
    problems = _problems("[last_order]", f"[{alias!r}]")

    assert len(problems) == 1
    assert problems[0].startswith("fields.last_order_date.aliases[0]: String should match")


# -- dates not after today ---------------------------------------------------------------


def test_a_date_after_today_is_refused_where_the_field_says_not_after_today() -> None:
    assert _facts_problems({"last_order": "2027-01-01"}) == [
        "last_order: 2027-01-01 must not be after today (2026-12-07)"
    ]


def test_a_date_of_today_or_before_is_accepted() -> None:
    facts = validate_facts(
        MODEL, {"last_order_date": "2026-12-07", "first_order_date": "2020-01-01"}, today=TODAY
    )

    assert facts == {"last_order_date": TODAY, "first_order_date": date(2020, 1, 1)}


def test_a_date_field_without_not_after_takes_a_future_date() -> None:
    facts = validate_facts(MODEL, {"first_order_date": "2027-01-01"}, today=TODAY)

    assert facts == {"first_order_date": date(2027, 1, 1)}


def test_a_stored_date_read_without_today_is_not_checked_again() -> None:
    # Stored facts are decoded without today: a date fine when saved stays readable.
    field = MODEL.fields["last_order_date"]

    assert parse_value(field, "2027-01-01") == date(2027, 1, 1)


def test_not_after_on_a_field_that_is_not_a_date_is_refused() -> None:
    assert _problems("{type: date}", "{type: date}\n  other: {type: number, not_after: today}") == [
        "fields.other.not_after: only date fields have not_after (this is number)"
    ]


def test_not_after_takes_only_today() -> None:
    problems = _problems("not_after: today", "not_after: tomorrow")

    assert problems == ["fields.last_order_date.not_after: Input should be 'today'"]


# -- the shipped models ------------------------------------------------------------------


def _shipped(name: str) -> scoring.CompiledModel:
    path = Path(scoring.__file__).parent / "models" / f"{name}.yaml"
    return load_model(path.read_text(encoding="utf-8"), source=path.name)


def test_the_readme_example_sets_the_default_models_revenue_and_growth() -> None:
    facts = validate_facts(_shipped("default"), {"revenue": "1.2M", "growth": "35%"}, today=TODAY)

    assert facts == {"cumulative_revenue": 1_200_000.0, "revenue_growth": 35.0}


@pytest.mark.parametrize(
    ("typed", "field"),
    [
        ("销售额", "cumulative_revenue"),
        ("销售额同比增长率", "revenue_growth"),
        ("order_value", "avg_order_value"),
        ("年采购次数", "orders_per_year"),
        ("margin", "profit_margin"),
        ("规模", "company_size"),
        ("行业", "industry"),
        ("credit", "credit_standing"),
        ("决策链", "decision_chain"),
        ("last_order", "last_order_date"),
        ("推荐", "referrals"),
    ],
)
def test_the_default_model_knows_the_names_reps_type(typed: str, field: str) -> None:
    resolved = _shipped("default").resolve_field(typed)

    assert resolved is not None
    assert resolved.name == field


@pytest.mark.parametrize("name", ["default", "prospect", "five_grade", "quadrant"])
def test_every_field_of_a_shipped_model_has_aliases(name: str) -> None:
    model = _shipped(name)

    assert [f for f in model.fields.values() if not f.aliases] == []


def test_the_default_model_refuses_a_last_order_date_after_today() -> None:
    with pytest.raises(FactsError) as caught:
        validate_facts(_shipped("default"), {"last_order_date": "2027-01-01"}, today=TODAY)

    assert [str(p) for p in caught.value.problems] == [
        "last_order_date: 2027-01-01 must not be after today (2026-12-07)"
    ]
