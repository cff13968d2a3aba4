"""Facts as people type them (1.2M, 350k, 35%, 120万, 1.5亿, 是, dates) and what does not fit."""

from __future__ import annotations

import dataclasses
import textwrap
from datetime import date

import pytest

from scoring import FactsError, facts_to_json, load_model, parse_number, parse_value, validate_facts
from scoring.values import ValueProblem

TODAY = date(2026, 3, 31)

MODEL = load_model(
    textwrap.dedent(
        """
        name: values
        version: 1
        title: {en: Values, zh: 取值}
        fields:
          revenue: {type: money, min: 0}
          orders: {type: integer, min: 0, max: 1000}
          margin: {type: percent, min: -100, max: 100}
          rating: {type: number}
          industry:
            type: choice
            choices:
              finance: {en: finance, zh: 金融业}
              real_estate: {en: real estate, zh: 房地产}
          key_account: {type: boolean}
          last_order: {type: date}
        criteria:
          - {field: revenue, weight: 1, linear: {from: 0, to: 1}}
        tiers:
          - {name: A, min: 50}
          - {name: B}
        """
    ),
    source="values.yaml",
)


def _parse(field: str, raw: object) -> object:
    return parse_value(MODEL.fields[field], raw, TODAY)


# -- numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1200000", 1_200_000.0),
        ("1,200,000", 1_200_000.0),
        ("1.2M", 1_200_000.0),
        ("1.2m", 1_200_000.0),
        ("2 million", 2_000_000.0),
        ("350k", 350_000.0),
        ("350K", 350_000.0),
        ("3千", 3_000.0),
        ("120万", 1_200_000.0),
        ("120萬", 1_200_000.0),
        ("1.5亿", 150_000_000.0),
        ("2bn", 2_000_000_000.0),
        ("-3.5", -3.5),
        (".5m", 500_000.0),
        ("35%", 35.0),
        ("¥1.2M", 1_200_000.0),
        ("120万元", 1_200_000.0),
        ("5M CNY", 5_000_000.0),
        ("100 rmb", 100.0),
        ("$3 usd", 3.0),
    ],
)
def test_a_number_is_read_with_its_unit(text: str, number: float) -> None:
    assert parse_number(text) == number


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lots", "'lots' is not a number (e.g. 1200000, 1.2M, 350k, 120万)"),
        ("5x", "unknown unit 'x' in '5x' (use k, M, B, 万 or 亿)"),
        ("", "'' is not a number"),
    ],
)
def test_text_that_is_not_a_number_is_refused(text: str, message: str) -> None:
    with pytest.raises(ValueProblem) as caught:
        parse_number(text)

    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("1e20", 1e20),
        ("1.5E+3", 1500.0),
        ("1e-05", 1e-05),
        ("-2.5e6", -2_500_000.0),
        ("1.2e+16", 1.2e16),
    ],
)
def test_a_number_in_scientific_notation_as_exports_write_it_is_read(
    text: str, number: float
) -> None:
    assert parse_number(text) == number


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nan", "'nan' is not a number"),
        ("inf", "'inf' is not a number"),
        ("-Infinity", "'-Infinity' is not a number"),
        ("1e999", "'1e999' is too large to be a number"),
        ("1e305亿", "'1e305亿' is too large to be a number"),
        ("1e", "unknown unit 'e' in '1e'"),
    ],
)
def test_a_number_that_is_not_finite_is_refused_in_any_notation(text: str, message: str) -> None:
    with pytest.raises(ValueProblem) as caught:
        parse_number(text)

    assert str(caught.value).startswith(message)


def test_a_money_fact_in_scientific_notation_is_read() -> None:
    assert _parse("revenue", "1.5E+7") == 15_000_000.0


def test_a_money_fact_reads_units_and_keeps_numbers() -> None:
    assert _parse("revenue", "1.5亿") == 150_000_000.0
    assert _parse("revenue", 350_000) == 350_000.0
    assert isinstance(_parse("revenue", 350_000), float)


def test_an_amount_in_another_currency_is_refused_not_taken_as_the_fields() -> None:
    yuan = dataclasses.replace(MODEL.fields["revenue"], unit="CNY")
    assert parse_value(yuan, "¥5k") == parse_value(yuan, "5千元") == parse_value(yuan, "5k") == 5000
    with pytest.raises(ValueProblem, match=r"'\$5k' is in USD but revenue is in CNY"):
        parse_value(yuan, "$5k")
    with pytest.raises(ValueProblem, match="'€3M' is in EUR"):
        parse_value(yuan, "€3M")
    with pytest.raises(ValueProblem, match="'¥3' is an amount of money; orders is not"):
        _parse("orders", "¥3")


def test_a_percent_fact_reads_with_or_without_the_sign() -> None:
    assert _parse("margin", "35%") == 35.0
    assert _parse("margin", "35") == 35.0
    assert _parse("margin", 12.5) == 12.5


def test_a_percentage_for_a_non_percent_field_is_refused() -> None:
    with pytest.raises(ValueProblem, match="'35%' is a percentage but revenue is a money"):
        _parse("revenue", "35%")


def test_a_number_field_reads_plain_numbers() -> None:
    assert _parse("rating", "4.5") == 4.5
    assert _parse("rating", "-2") == -2.0


@pytest.mark.parametrize(
    ("field", "raw", "message"),
    [
        ("orders", "2.5", "2.5 is not a whole number"),
        ("orders", "1001", "1001 is above the maximum 1000"),
        ("revenue", "-5", "-5 is below the minimum 0"),
        ("margin", "120%", "120 is above the maximum 100"),
        ("rating", True, "expected a number, got True"),
        ("rating", [1], "expected a number, got list"),
        ("rating", float("nan"), "must be a finite number"),
    ],
)
def test_a_number_that_does_not_fit_its_field_is_refused(
    field: str, raw: object, message: str
) -> None:
    with pytest.raises(ValueProblem) as caught:
        _parse(field, raw)

    assert str(caught.value) == message


def test_an_integer_field_takes_whole_numbers_in_any_notation() -> None:
    assert _parse("orders", "12") == 12.0
    assert _parse("orders", "0.5k") == 500.0
    assert _parse("orders", "1k") == 1000.0


# -- yes/no -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["yes", "Yes", "y", "true", "1", "on", "是", "有", "对", "是的", True]
)
def test_yes_reads_as_true(raw: object) -> None:
    assert _parse("key_account", raw) is True


@pytest.mark.parametrize(
    "raw", ["no", "N", "false", "0", "off", "否", "无", "不", "不是", "没有", False]
)
def test_no_reads_as_false(raw: object) -> None:
    assert _parse("key_account", raw) is False


def test_anything_else_is_not_yes_or_no() -> None:
    with pytest.raises(ValueProblem, match="'maybe' is not yes or no"):
        _parse("key_account", "maybe")


# -- choices ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "choice"),
    [
        ("finance", "finance"),
        ("Finance", "finance"),
        (" FINANCE ", "finance"),
        ("金融业", "finance"),
        ("real estate", "real_estate"),
        ("Real_Estate", "real_estate"),
        ("房地产", "real_estate"),
    ],
)
def test_a_choice_is_read_by_its_key_or_either_label(raw: str, choice: str) -> None:
    assert _parse("industry", raw) == choice


def test_an_unknown_choice_is_refused_with_a_did_you_mean() -> None:
    with pytest.raises(ValueProblem) as caught:
        _parse("industry", "finanse")

    assert (
        str(caught.value)
        == "'finanse' is not one of: finance, real_estate; did you mean 'finance'?"
    )


# -- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "day"),
    [
        ("2026-01-15", date(2026, 1, 15)),
        (date(2025, 12, 1), date(2025, 12, 1)),
        ("today", TODAY),
        ("今天", TODAY),
        ("yesterday", date(2026, 3, 30)),
        ("昨天", date(2026, 3, 30)),
        ("30 days ago", date(2026, 3, 1)),
        ("30d", date(2026, 3, 1)),
        ("30天前", date(2026, 3, 1)),
    ],
)
def test_a_date_is_read_as_iso_or_relative_to_today(raw: object, day: date) -> None:
    assert _parse("last_order", raw) == day


@pytest.mark.parametrize("raw", ["2026-13-01", "31/03/2026", "soon"])
def test_a_text_that_is_not_a_date_is_refused(raw: str) -> None:
    with pytest.raises(ValueProblem, match="is not a date"):
        _parse("last_order", raw)


def test_a_relative_date_needs_todays_date() -> None:
    with pytest.raises(ValueProblem, match="is not a date"):
        parse_value(MODEL.fields["last_order"], "yesterday")


# -- many facts at once -------------------------------------------------------------------


def test_validated_facts_are_typed_and_an_empty_answer_clears_a_fact() -> None:
    facts = validate_facts(
        MODEL,
        {
            "revenue": "120万",
            "orders": 12,
            "margin": "35%",
            "industry": "金融业",
            "key_account": "是",
            "last_order": "2026-01-15",
            "rating": "  ",
        },
        today=TODAY,
    )

    assert facts == {
        "revenue": 1_200_000.0,
        "orders": 12.0,
        "margin": 35.0,
        "industry": "finance",
        "key_account": True,
        "last_order": date(2026, 1, 15),
        "rating": None,
    }


def test_every_fact_that_does_not_fit_is_reported_at_once() -> None:
    with pytest.raises(FactsError) as caught:
        validate_facts(
            MODEL,
            {"revenue": "-1", "orders": "2.5", "margin": "a lot", "key_accout": "yes"},
            source="Acme",
        )

    assert caught.value.source == "Acme"
    assert [str(p) for p in caught.value.problems] == [
        "revenue: -1 is below the minimum 0",
        "orders: 2.5 is not a whole number",
        "margin: 'a lot' is not a number (e.g. 1200000, 1.2M, 350k, 120万)",
        "key_accout: unknown field; did you mean 'key_account'?",
    ]


def test_facts_become_json_safe_with_dates_as_iso_text() -> None:
    assert facts_to_json(
        {"last_order": date(2026, 1, 15), "revenue": 5.0, "key_account": True}
    ) == {
        "last_order": "2026-01-15",
        "revenue": 5.0,
        "key_account": True,
    }
