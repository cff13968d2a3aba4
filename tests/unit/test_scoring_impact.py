"""Model impact: which accounts a new model would move up or down, before it is activated."""

from __future__ import annotations

import textwrap
from datetime import date, timedelta
from pathlib import Path

import pytest

import scoring
from scoring import CompiledModel, Direction, FactValue, columns_from_rows, load_model, model_impact

TODAY = date(2026, 3, 31)

# The total is the `points` fact itself (one linear criterion worth 100 points).
NEW = """
name: retuned
version: 2
title: {en: Retuned, zh: 调整后}
hysteresis: 3
fields:
  points: {type: number, min: 0, max: 100}
criteria:
  - {field: points, weight: 100, linear: {from: 0, to: 100}}
tiers:
  - {name: A, min: 70}
  - {name: B, min: 65}
  - {name: C}
"""


def _new() -> CompiledModel:
    return load_model(textwrap.dedent(NEW), source="retuned.yaml")


def test_model_impact_counts_accounts_moving_up_down_and_staying() -> None:
    # New bars: A 70, B 65, hysteresis 3 (the current tier is held, a better one must be
    # cleared by 3 points).
    accounts = [
        ("k1", 72.0, "B"),  # A needs 73 from B -> stays B
        ("k2", 74.0, "B"),  # 74 >= 73 -> A: up
        ("k3", 63.0, "B"),  # B held down to 62 -> stays B
        ("k4", 61.0, "B"),  # below 62 -> C: down
        ("k5", 80.0, "A"),  # stays A
        ("k6", 50.0, None),  # no tier yet -> C: changed
        ("k7", 66.0, "Z"),  # a tier the new model does not have -> B: changed
    ]
    model = _new()
    keys = [key for key, _, _ in accounts]
    columns = columns_from_rows(model, [{"points": points} for _, points, _ in accounts])

    report = model_impact(model, keys, columns, [tier for _, _, tier in accounts])

    assert (report.accounts, report.up, report.down, report.changed, report.unchanged) == (
        7,
        1,
        1,
        2,
        3,
    )
    assert [(m.key, m.old_tier, m.new_tier, m.direction) for m in report.moves] == [
        ("k2", "B", "A", Direction.UP),
        ("k4", "B", "C", Direction.DOWN),
        ("k6", None, "C", Direction.CHANGED),
        ("k7", "Z", "B", Direction.CHANGED),
    ]
    assert [m.new_total for m in report.moves] == [74.0, 61.0, 50.0, 66.0]
    assert report.before == {"B": 4, "A": 1, "-": 1, "Z": 1}
    assert report.after == {"B": 3, "A": 2, "C": 2}


def test_model_impact_of_no_accounts_is_empty() -> None:
    model = _new()

    report = model_impact(model, [], columns_from_rows(model, []), [])

    assert (report.accounts, report.up, report.down, report.unchanged) == (0, 0, 0, 0)
    assert report.moves == ()


def test_columns_from_rows_lists_every_field_with_gaps_for_missing_facts() -> None:
    model = _new()

    assert columns_from_rows(model, [{"points": 1.0}, {}]) == {"points": [1.0, None]}


def test_lowering_the_default_models_bars_moves_its_b_account_up() -> None:
    path = Path(scoring.__file__).parent / "models" / "default.yaml"
    text = path.read_text(encoding="utf-8")
    retuned = load_model(
        text.replace("min: 75\n", "min: 70\n").replace("min: 60\n", "min: 55\n"),
        source="default-retuned.yaml",
    )
    # 74.225 (B in the shipped model, see the shipped-model tests) clears 70 + 3 -> A;
    # the small retailer's 19.65 stays C.
    machinery: dict[str, FactValue] = {
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
    }
    retailer: dict[str, FactValue] = {
        "cumulative_revenue": 800_000.0,
        "avg_order_value": 15_000.0,
        "orders_per_year": 20.0,
        "profit_margin": 12.0,
        "revenue_growth": -5.0,
        "company_size": "small",
        "industry": "retail",
        "credit_standing": "poor",
        "decision_chain": "short",
        "last_order_date": TODAY - timedelta(days=200),
    }
    columns = columns_from_rows(retuned, [machinery, retailer])

    report = model_impact(retuned, ["machinery", "retailer"], columns, ["B", "C"], today=TODAY)

    assert (report.up, report.down, report.unchanged) == (1, 0, 1)
    assert report.moves[0].key == "machinery"
    assert report.moves[0].new_total == pytest.approx(74.225)
