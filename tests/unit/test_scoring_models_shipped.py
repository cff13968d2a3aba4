"""The four shipped models: each loads, is complete in both languages, and grades realistic
accounts exactly as the arithmetic written out in each test says."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from pathlib import Path

import pytest

import scoring
from scoring import CompiledModel, FactValue, LocalText, load_model, score

MODELS_DIR = Path(scoring.__file__).parent / "models"
SHIPPED = ("default", "prospect", "five_grade", "quadrant")
TODAY = date(2026, 3, 31)


@cache
def shipped(name: str) -> CompiledModel:
    path = MODELS_DIR / f"{name}.yaml"
    return load_model(path.read_text(encoding="utf-8"), source=path.name)


def _texts(model: CompiledModel) -> list[tuple[str, LocalText]]:
    found: list[tuple[str, LocalText]] = [("title", model.title)]
    if model.description is not None:
        found.append(("description", model.description))
    for name, field in model.fields.items():
        found.append((f"fields.{name}.label", field.label))
        found += [(f"fields.{name}.choices", label) for label in field.choice_labels]
    found += [(f"sub_scores.{s.name}", s.label) for s in model.sub_scores if s.name != "score"]
    found += [(f"criteria.{c.id}", c.label) for c in model.criteria]
    for c in model.criteria:
        found += [(f"criteria.{c.id}.band", b.label) for b in c.bands if b.label is not None]
    found += [(f"adjustments.{a.id}", a.reason) for a in model.adjustments]
    for tier in model.tiers:
        found.append((f"tiers.{tier.name}", tier.label))
        if tier.close_window is not None:
            found.append((f"tiers.{tier.name}.close_window", tier.close_window))
    for name, book in model.playbooks.items():
        found += [
            (f"playbooks.{name}.owner", book.owner),
            (f"playbooks.{name}", book.service_level),
        ]
        found += [(f"playbooks.{name}.terms", book.terms)] if book.terms else []
        found += [(f"playbooks.{name}.next_steps", step) for step in book.next_steps]
    found += [(f"questions.{q.field}", q.prompt) for q in model.questions]
    return found


# -- every shipped model ------------------------------------------------------------------


def test_every_shipped_model_file_is_found() -> None:
    assert sorted(p.stem for p in MODELS_DIR.glob("*.yaml")) == sorted(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_model_loads_under_its_file_name(name: str) -> None:
    model = shipped(name)

    assert model.name == name
    assert model.version >= 1
    assert model.currency == "CNY"


@pytest.mark.parametrize("name", SHIPPED)
def test_every_tier_of_a_shipped_model_has_a_playbook(name: str) -> None:
    model = shipped(name)

    assert set(model.playbooks) == set(model.tier_names)
    for book in model.playbooks.values():
        assert book.next_steps
        assert 1 <= book.cadence_days <= 366


@pytest.mark.parametrize("name", SHIPPED)
def test_every_text_of_a_shipped_model_is_in_english_and_chinese(name: str) -> None:
    for where, text in _texts(shipped(name)):
        table = dict(text.texts)
        assert table.get("en", "").strip(), f"{where} has no English text"
        assert table.get("zh", "").strip(), f"{where} has no Chinese text"
        assert any("\u4e00" <= ch <= "\u9fff" for ch in table["zh"]), f"{where}: zh is not Chinese"


@pytest.mark.parametrize("name", SHIPPED)
def test_higher_cadence_goes_to_better_tiers_of_a_shipped_model(name: str) -> None:
    model = shipped(name)
    cadences = [model.playbooks[tier].cadence_days for tier in model.tier_names]

    assert cadences[0] == min(cadences)
    assert cadences[-1] == max(cadences)


# -- default: existing customers, A >= 75, B >= 60, C ---------------------------------------


def test_default_model_grades_a_thresholds_of_75_and_60_with_a_hysteresis_of_3() -> None:
    model = shipped("default")

    assert model.tier_names == ("A", "B", "C")
    assert [t.min for t in model.tiers] == [75, 60, None]
    assert model.hysteresis == 3
    assert [s.name for s in model.sub_scores] == ["value", "potential", "relationship"]


def _machinery_maker(**changes: FactValue) -> dict[str, FactValue]:
    facts: dict[str, FactValue] = {
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
        "referrals": 1.0,
    }
    facts.update(changes)
    return facts


def test_default_model_walks_a_large_machinery_maker_into_a_with_its_referral() -> None:
    # value (max 80): revenue 12.5M >= 10M -> 30; order 380k in [100k, 500k) -> 10;
    #   9 orders in [6, 12) -> 10; margin 18%: 20 * (18 - 5) / (30 - 5) = 10.4
    #   -> 60.4 / 80 = 75.5
    # potential (max 80): growth 22%: 40 * 22 / 50 = 17.6; large -> 25; manufacturing -> 12
    #   -> 54.6 / 80 = 68.25
    # relationship (max 100): good -> 30; long chain -> 10; 40 days ago (< 90) -> 40 -> 80
    # base = (50 * 75.5 + 30 * 68.25 + 20 * 80) / 100 = (3775 + 2047.5 + 1600) / 100 = 74.225
    # 1 referral: +2 -> total 76.225 >= 75 -> A
    result = score(shipped("default"), _machinery_maker(), today=TODAY)

    assert result.sub_scores["value"] == pytest.approx(75.5)
    assert result.sub_scores["potential"] == pytest.approx(68.25)
    assert result.sub_scores["relationship"] == pytest.approx(80.0)
    assert result.base == pytest.approx(74.225)
    assert [(a.id, a.points) for a in result.adjustments] == [("referrals", 2.0)]
    assert result.total == pytest.approx(76.225)
    assert result.tier == "A"
    assert result.tier_label.get("zh") == "A级（重点客户）"
    assert result.playbook is not None
    assert "20" in result.playbook.service_level.get("en")
    assert "90%" in result.playbook.service_level.get("zh")
    # Once A, the score may fall to 75 - 3 = 72 before the tier drops: 76.225 - 72 = 4.225.
    assert result.margin_below == pytest.approx(4.225)


def test_default_model_keeps_the_machinery_maker_in_b_without_the_referral() -> None:
    # As above without the referral: total = base = 74.225 < 75 -> B.
    result = score(shipped("default"), _machinery_maker(referrals=0.0), today=TODAY)

    assert result.adjustments == ()
    assert result.total == pytest.approx(74.225)
    assert result.tier == "B"


def test_default_model_grades_a_small_retailer_with_poor_credit_c() -> None:
    # value: revenue 800k in [200k, 1M) -> 5; order 15k (< 20k) -> 0; 20 orders (>= 12) -> 15;
    #   margin 12%: 20 * (12 - 5) / 25 = 5.6 -> 25.6 / 80 = 32
    # potential: growth -5% (< 0) -> 0; small -> 8; retail -> 6 -> 14 / 80 = 17.5
    # relationship: poor -> 0; short chain -> 20; 200 days ago in [180, 365) -> 12 -> 32
    # base = (50 * 32 + 30 * 17.5 + 20 * 32) / 100 = (1600 + 525 + 640) / 100 = 27.65
    # poor credit: -8 -> total 19.65 -> C
    facts: dict[str, FactValue] = {
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
    result = score(shipped("default"), facts, today=TODAY)

    assert result.sub_scores["value"] == pytest.approx(32.0)
    assert result.sub_scores["potential"] == pytest.approx(17.5)
    assert result.sub_scores["relationship"] == pytest.approx(32.0)
    assert result.base == pytest.approx(27.65)
    assert [(a.id, a.points) for a in result.adjustments] == [("poor_credit", -8.0)]
    assert result.total == pytest.approx(19.65)
    assert result.tier == "C"
    assert result.playbook is not None
    assert "self-service" in result.playbook.service_level.get("en")


def test_default_model_assumes_a_long_decision_chain_and_reports_it_missing() -> None:
    facts = _machinery_maker()
    del facts["decision_chain"]

    result = score(shipped("default"), facts, today=TODAY)

    assert result.criterion("decision_chain").value == "long"
    assert result.criterion("decision_chain").points == 10
    assert result.missing == ("decision_chain",)
    assert result.total == pytest.approx(76.225)


def test_default_model_holds_an_a_account_that_slips_within_3_points() -> None:
    # Without the referral and with 20 days' older orders the total is still 74.225:
    # below 75, but within the hysteresis of 3, so a previous A is kept.
    result = score(
        shipped("default"),
        _machinery_maker(referrals=0.0),
        previous_tier="A",
        today=TODAY,
    )

    assert result.tier == "A"
    assert result.hysteresis.raw_tier == "B"
    assert result.hysteresis.held


# -- prospect: A-D by time to close -------------------------------------------------------


def test_prospect_model_grades_a_manufacturer_starting_its_selection_a_and_shows_its_value() -> (
    None
):
    # Tier: not digitised and selection starting -> A, closes within 3 months.
    # value (max 90): revenue 80M in [20M, 100M) -> 18; assets 120M in [50M, 200M) -> 14;
    #   private -> 14 -> 46 / 90 = 51.111...
    # potential (max 60): growth 15%: 30 * 15 / 30 = 15; high latent need -> 30 -> 45 / 60 = 75
    # base = total = (50 * 51.111 + 50 * 75) / 100 = 63.0556
    facts: dict[str, FactValue] = {
        "digitised": False,
        "need_stage": "selecting",
        "annual_revenue": 80_000_000.0,
        "total_assets": 120_000_000.0,
        "ownership": "private",
        "revenue_growth": 15.0,
        "latent_need": "high",
    }
    model = shipped("prospect")
    result = score(model, facts)

    assert result.sub_scores["value"] == pytest.approx(46 / 90 * 100)
    assert result.sub_scores["potential"] == pytest.approx(75.0)
    assert result.total == pytest.approx(63.0556, abs=1e-4)
    assert result.tier == "A"
    tier = model.tier("A")
    assert tier is not None
    close_window = tier.close_window
    assert close_window is not None
    assert close_window.get("en") == "within 3 months"
    assert close_window.get("zh") == "3个月内"


def test_prospect_model_has_a_close_window_for_every_grade() -> None:
    model = shipped("prospect")
    windows = {t.name: t.close_window.get("zh") for t in model.tiers if t.close_window}

    assert windows == {
        "A": "3个月内",
        "B": "4至6个月内",
        "C": "7至12个月内",
        "D": "12个月内无法成交",
    }


# -- five grades: base points plus variables ----------------------------------------------


def test_five_grade_model_reproduces_the_article_base_10_in_e() -> None:
    # Order value 250k (< 300k) -> 10 base points; no variables -> 10 < 30 -> E (ordinary).
    result = score(shipped("five_grade"), {"annual_order_value": 250_000.0})

    assert result.base == 10
    assert result.total == 10
    assert result.tier == "E"
    assert result.tier_label.get("zh") == "E类（普通客户）"


def test_five_grade_model_reproduces_the_article_rise_to_35_points_and_grade_d() -> None:
    # Base 10; 2 referrals: 2 * 5 = +10; 5 product lines: 5 * 3 = +15 (the cap);
    # 10 + 10 + 15 = 35 >= 30 -> D (potential), also when the account was E before:
    # leaving E for D needs 30 + 3 (hysteresis) = 33 <= 35.
    facts = {"annual_order_value": 250_000.0, "referrals": 2.0, "product_lines": 5.0}
    model = shipped("five_grade")

    fresh = score(model, facts)
    from_e = score(model, facts, previous_tier="E")

    assert [(a.id, a.points) for a in fresh.adjustments] == [
        ("referrals", 10.0),
        ("breadth_of_needs", 15.0),
    ]
    assert fresh.total == 35
    assert fresh.tier == "D"
    assert fresh.tier_label.get("zh") == "D类（潜力客户）"
    assert from_e.tier == "D"


def test_five_grade_model_caps_referrals_and_limits_all_variables_to_30_points() -> None:
    # Order value 3M in [2M, 5M) -> base 55. Referrals 4 * 5 = 20 -> capped at 15;
    # 6 lines * 3 = 18 -> capped at 15; strong growth +10: 15 + 15 + 10 = 40 -> limited to 30.
    # Total 55 + 30 = 85 >= 80 -> A.
    facts: dict[str, FactValue] = {
        "annual_order_value": 3_000_000.0,
        "referrals": 4.0,
        "product_lines": 6.0,
        "growth_outlook": "strong",
    }
    result = score(shipped("five_grade"), facts)

    assert [(a.id, a.points, a.capped) for a in result.adjustments] == [
        ("referrals", 15.0, True),
        ("breadth_of_needs", 15.0, True),
        ("strong_growth", 10.0, False),
    ]
    assert result.adjustment_total == 30
    assert result.total == 85
    assert result.tier == "A"


def test_five_grade_model_takes_points_away_for_overdue_payments_and_shrinking() -> None:
    # Order value 1.5M in [1M, 2M) -> 40; shrinking -10; overdue -10 -> 20 -> E.
    facts: dict[str, FactValue] = {
        "annual_order_value": 1_500_000.0,
        "growth_outlook": "shrinking",
        "overdue_payments": True,
    }
    result = score(shipped("five_grade"), facts)

    assert result.total == 20
    assert result.tier == "E"


# -- quadrant: value x potential ----------------------------------------------------------


def test_quadrant_model_places_a_profitable_mature_account_in_cash_cow() -> None:
    # value (max 100): revenue 6M in [5M, 10M) -> 30; margin 20%: 30 * (20 - 5) / 25 = 18;
    #   4 years in [3, 5) -> 20 -> 68
    # potential (max 100): growth 10%: 30 * 10 / 40 = 7.5; share of wallet 60%:
    #   30 * (60 - 80) / (10 - 80) = 8.5714; large -> 20; no expansion plans -> 0 -> 36.0714
    # value 68 >= 60 but potential < 60 -> cash_cow; base = (68 + 36.0714) / 2 = 52.0357
    facts: dict[str, FactValue] = {
        "annual_revenue": 6_000_000.0,
        "profit_margin": 20.0,
        "years_as_customer": 4.0,
        "revenue_growth": 10.0,
        "share_of_wallet": 60.0,
        "company_size": "large",
        "expansion_plans": False,
    }
    result = score(shipped("quadrant"), facts)

    assert result.sub_scores["value"] == pytest.approx(68.0)
    assert result.sub_scores["potential"] == pytest.approx(36.0714, abs=1e-4)
    assert result.total == pytest.approx(52.0357, abs=1e-4)
    assert result.tier == "cash_cow"


def test_quadrant_model_places_a_small_fast_grower_in_potential() -> None:
    # value: revenue 400k in [200k, 1M) -> 8; margin 10%: 30 * 5 / 25 = 6; half a year -> 0
    #   -> 14
    # potential: growth 45% (above 40) -> 30; share 15%: 30 * (15 - 80) / (10 - 80) = 27.857;
    #   medium -> 12; expansion plans -> 20 -> 89.857
    # value < 60, potential >= 60 -> potential
    facts: dict[str, FactValue] = {
        "annual_revenue": 400_000.0,
        "profit_margin": 10.0,
        "years_as_customer": 0.5,
        "revenue_growth": 45.0,
        "share_of_wallet": 15.0,
        "company_size": "medium",
        "expansion_plans": True,
    }
    result = score(shipped("quadrant"), facts)

    assert result.sub_scores["value"] == pytest.approx(14.0)
    assert result.sub_scores["potential"] == pytest.approx(89.857, abs=1e-3)
    assert result.tier == "potential"
    assert result.tier_label.get("zh") == "潜力客户"


def test_quadrant_model_places_a_strong_account_with_room_to_grow_in_high_value() -> None:
    # value: 12M -> 40; margin 30% -> 30; 6 years -> 30 -> 100
    # potential: growth 30%: 30 * 30 / 40 = 22.5; share 30%: 30 * 50 / 70 = 21.4286;
    #   large -> 20; expansion -> 20 -> 83.9286 -> high_value (both >= 60)
    facts: dict[str, FactValue] = {
        "annual_revenue": 12_000_000.0,
        "profit_margin": 30.0,
        "years_as_customer": 6.0,
        "revenue_growth": 30.0,
        "share_of_wallet": 30.0,
        "company_size": "large",
        "expansion_plans": True,
    }
    result = score(shipped("quadrant"), facts)

    assert result.sub_scores["value"] == pytest.approx(100.0)
    assert result.sub_scores["potential"] == pytest.approx(83.9286, abs=1e-4)
    assert result.tier == "high_value"
    assert result.tier_label.get("zh") == "高价值客户（明星）"


def test_quadrant_model_labels_follow_the_four_example_grades() -> None:
    labels = [t.label.get("zh") for t in shipped("quadrant").tiers]

    assert labels == [
        "高价值客户（明星）",
        "高价值低潜力客户（现金牛）",
        "潜力客户",
        "一般客户（低价值）",
    ]
