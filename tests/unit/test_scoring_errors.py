"""Every problem a model file can have is reported with its key path and a plain message."""

from __future__ import annotations

import textwrap

import pytest

from scoring import FactsError, ModelError, ScoringError, load_model, validate_facts

BASE = """
name: errors
version: 1
title: {en: Errors, zh: 错误}
fields:
  revenue: {type: money, min: 0}
  orders: {type: integer, min: 0}
  size:
    type: choice
    choices: {small: {en: small, zh: 小}, large: {en: large, zh: 大}}
  key_account: {type: boolean}
  last_order: {type: date}
criteria:
  - field: revenue
    weight: 50
    bands:
      - {min: 1000000, points: 50}
      - {min: 100000, max: 1000000, points: 25}
  - {field: size, weight: 30, map: {small: 10, large: 30}}
  - {field: orders, weight: 20, linear: {from: 0, to: 12}}
adjustments:
  - {when: key_account, points: 5, reason: {en: Key account, zh: 重点客户}}
tiers:
  - {name: A, min: 75}
  - {name: B, min: 50}
  - {name: C}
playbooks:
  A:
    owner: {en: Senior rep, zh: 资深销售}
    cadence_days: 14
    service_level: {en: VIP, zh: 贵宾}
    next_steps: [{en: Visit, zh: 拜访}]
qualification:
  questions:
    - field: size
      prompt: {en: How big is it, zh: 规模多大}
"""


def _text(*replacements: tuple[str, str]) -> str:
    text = textwrap.dedent(BASE)
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return text


def _problems(*replacements: tuple[str, str]) -> list[str]:
    with pytest.raises(ModelError) as caught:
        load_model(_text(*replacements), source="errors.yaml")
    return [str(problem) for problem in caught.value.problems]


def test_the_base_model_of_these_tests_is_valid() -> None:
    assert load_model(_text(), source="errors.yaml").name == "errors"


# -- names --------------------------------------------------------------------------------


def test_an_unknown_field_is_reported_with_a_did_you_mean() -> None:
    assert _problems(("field: size, weight: 30", "field: sise, weight: 30")) == [
        "criteria[1].field: unknown field 'sise'; did you mean 'size'?"
    ]


def test_an_unknown_field_without_a_close_name_gets_no_suggestion() -> None:
    assert _problems(("field: size, weight: 30", "field: turnover, weight: 30")) == [
        "criteria[1].field: unknown field 'turnover'"
    ]


def test_an_unknown_key_is_reported_where_it_is() -> None:
    assert _problems(
        ("version: 1\n", "version: 1\ncolour: red\n"),
        ("{field: orders, weight: 20,", "{field: orders, wieght: 20, weight: 20,"),
    ) == [
        "criteria[2].wieght: unknown key (check its spelling)",
        "colour: unknown key (check its spelling)",
    ]


def test_a_reserved_name_cannot_be_a_field() -> None:
    assert _problems(("  key_account:", "  total: {type: number}\n  key_account:")) == [
        "fields.total: 'total' is reserved; choose another field name"
    ]


def test_a_playbook_for_an_unknown_tier_is_reported_with_a_did_you_mean() -> None:
    assert _problems(("playbooks:\n  A:", "playbooks:\n  AA:")) == [
        "playbooks.AA: unknown tier 'AA'; did you mean 'A'?"
    ]


def test_a_criterion_for_an_undeclared_sub_score_is_reported() -> None:
    problems = _problems(
        ("criteria:\n", "sub_scores:\n  value: {weight: 1}\ncriteria:\n"),
        ("  - field: revenue\n", "  - field: revenue\n    sub_score: value\n"),
        ("{field: size, weight: 30,", "{field: size, sub_score: valeu, weight: 30,"),
        ("{field: orders, weight: 20,", "{field: orders, sub_score: value, weight: 20,"),
    )

    assert problems == ["criteria[1].sub_score: unknown sub-score 'valeu'; did you mean 'value'?"]


def test_a_sub_score_no_criterion_scores_is_reported() -> None:
    problems = _problems(
        ("criteria:\n", "sub_scores:\n  value: {weight: 1}\n  spare: {weight: 1}\ncriteria:\n"),
        ("  - field: revenue\n", "  - field: revenue\n    sub_score: value\n"),
        ("{field: size, weight: 30,", "{field: size, sub_score: value, weight: 30,"),
        ("{field: orders, weight: 20,", "{field: orders, sub_score: value, weight: 20,"),
    )

    assert problems == ["sub_scores.spare: no criterion scores it"]


# -- criteria -----------------------------------------------------------------------------


def test_a_band_whose_min_is_not_below_its_max_is_reported() -> None:
    assert _problems(("{min: 100000, max: 1000000,", "{min: 100000, max: 10000,")) == [
        "criteria[0].bands[1].min: min 100000 must be below max 10000"
    ]


def test_band_points_above_the_weight_are_reported() -> None:
    assert _problems(("{min: 1000000, points: 50}", "{min: 1000000, points: 60}")) == [
        "criteria[0].bands[0].points: 60 exceeds the weight 50"
    ]


def test_map_points_above_the_weight_or_for_an_unknown_choice_are_reported() -> None:
    assert _problems(("map: {small: 10, large: 30}", "map: {small: 40, larg: 30}")) == [
        "criteria[1].map.small: 40 must be between 0 and the weight 30",
        "criteria[1].map.larg: unknown choice 'larg'; did you mean 'large'?",
    ]


def test_boolean_points_above_the_weight_are_reported() -> None:
    problems = _problems(
        ("adjustments:", "  - {field: key_account, weight: 5, boolean: {if_true: 8}}\nadjustments:")
    )

    assert problems == ["criteria[3].boolean.if_true: points exceed the weight 5"]


def test_a_linear_criterion_needs_two_different_ends() -> None:
    assert _problems(("linear: {from: 0, to: 12}", "linear: {from: 12, to: 12}")) == [
        "criteria[2].linear: from and to must differ"
    ]


def test_a_criterion_kind_must_fit_its_field_type() -> None:
    problems = _problems(
        (
            "{field: size, weight: 30, map: {small: 10, large: 30}}",
            "{field: size, weight: 30, linear: {from: 0, to: 1}}",
        ),
        (
            "{field: orders, weight: 20, linear: {from: 0, to: 12}}",
            "{field: orders, weight: 20, map: {small: 1}}",
        ),
        ("adjustments:", "  - {field: revenue, weight: 5, boolean: {if_true: 5}}\nadjustments:"),
    )

    assert problems == [
        "criteria[1].linear: linear needs a number or date field, not choice",
        "criteria[2].map: map needs a choice field, not integer",
        "criteria[3].boolean: field 'revenue' is money, not boolean",
    ]


def test_a_criterion_needs_exactly_one_kind() -> None:
    problems = _problems(("linear: {from: 0, to: 12}", "linear: {from: 0, to: 12}, map: {a: 1}"))

    assert problems == [
        "criteria[2]: give exactly one of bands, linear, map, boolean (found: linear, map)"
    ]


def test_an_adjustment_per_unit_needs_a_number_field() -> None:
    assert _problems(("points: 5, reason:", "points: 5, per: size, reason:")) == [
        "adjustments[0].per: 'size' must name a number field"
    ]


# -- fields -------------------------------------------------------------------------------


def test_field_definitions_are_checked() -> None:
    problems = _problems(
        ("revenue: {type: money, min: 0}", "revenue: {type: money, min: 10, max: 1}"),
        ("orders: {type: integer, min: 0}", "orders: {type: integer, min: 0, default: many}"),
        ("key_account: {type: boolean}", "key_account: {type: boolean, choices: {a: A}}"),
    )

    assert problems == [
        "fields.revenue.min: min 10 is above max 1",
        "fields.orders.default: 'many' is not a valid integer default",
        "fields.key_account.choices: only choice fields have choices (this is boolean)",
    ]


def test_a_choice_default_must_be_one_of_its_choices() -> None:
    assert _problems(("type: choice\n", "type: choice\n    default: medium\n")) == [
        "fields.size.default: 'medium' is not a valid choice default"
    ]


def test_a_choice_field_needs_choices_and_a_date_field_takes_no_default() -> None:
    problems = _problems(
        (
            "  key_account: {type: boolean}",
            "  key_account: {type: boolean}\n  kind: {type: choice}",
        ),
        ("last_order: {type: date}", "last_order: {type: date, default: '2026-01-01'}"),
    )

    assert problems == [
        "fields.kind.choices: a choice field needs its choices",
        "fields.last_order.default: '2026-01-01' is not a valid date default",
    ]


def test_sub_scores_and_criterion_ids_must_be_declared_and_unique() -> None:
    problems = _problems(
        ("  - {field: size, weight: 30,", "  - {id: revenue, field: size, weight: 30,"),
        ("{field: orders, weight: 20,", "{field: orders, sub_score: value, weight: 20,"),
    )

    assert problems == [
        "criteria[1].id: id 'revenue' is used twice",
        "criteria[2].sub_score: the model declares no sub_scores",
    ]


def test_a_sub_score_may_not_take_the_name_of_a_field() -> None:
    problems = _problems(
        ("criteria:\n", "sub_scores:\n  orders: {weight: 1}\ncriteria:\n"),
        ("  - field: revenue\n", "  - field: revenue\n    sub_score: orders\n"),
        ("{field: size, weight: 30,", "{field: size, sub_score: orders, weight: 30,"),
        ("{field: orders, weight: 20,", "{field: orders, sub_score: orders, weight: 20,"),
    )

    assert problems == ["sub_scores.orders: 'orders' is already a field or reserved name"]


# -- tiers --------------------------------------------------------------------------------


def test_a_threshold_not_below_the_tier_above_is_reported_as_unreachable() -> None:
    assert _problems(("{name: B, min: 50}", "{name: B, min: 80}")) == [
        "tiers[1].min: 80 is not below the tier above (75); it can never match"
    ]


def test_a_threshold_above_the_highest_total_is_reported_as_unreachable() -> None:
    assert _problems(("{name: A, min: 75}", "{name: A, min: 120}")) == [
        "tiers[0].min: 120 is above the highest total (100); it can never match"
    ]


def test_tier_rules_must_be_complete_and_unique() -> None:
    problems = _problems(
        ("{name: A, min: 75}", "{name: A, min: 75, when: key_account}"),
        ("{name: B, min: 50}", "{name: A}"),
        ("{name: C}", "{name: C, min: 10}"),
    )

    assert problems == [
        "tiers[0]: give min or when, not both",
        "tiers[1].name: tier 'A' is declared twice",
        "tiers[1]: only the last tier may have neither min nor when",
        "tiers[2]: the last tier catches everything else: remove its min/when",
    ]


def test_a_model_needs_at_least_two_tiers() -> None:
    problems = _problems(
        ("  - {name: A, min: 75}\n  - {name: B, min: 50}\n", ""),
        ("playbooks:\n  A:", "playbooks:\n  C:"),
    )

    assert problems == ["tiers: List should have at least 2 items after validation, not 1"]


# -- conditions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("revenue >=", "cannot read condition 'revenue >=': invalid syntax"),
        ("revenu >= 5", "unknown name 'revenu' (did you mean 'revenue'?)"),
        ('size == "medium"', "'medium' is not a choice of 'size'; allowed: small, large"),
        ('size > "small"', "'size' can only be compared with == or !="),
        ('revenue >= "big"', "'revenue' is a number; compare it with a number, not 'big'"),
        ("key_account == 1", "'key_account' is yes/no; compare it with true or false"),
        ("revenue", "'revenue' is not a yes/no fact; compare it, e.g. revenue >= 1"),
        ("len(size) > 1", "a comparison needs a fact or score name on one side"),
        ("revenue + 1 > 5", "a comparison needs a fact or score name on one side"),
        ("__import__('os')", "not allowed in a condition: \"__import__('os')\""),
        ("size in 'small'", '\'in\' needs a list on its right, e.g. ["a", "b"]'),
        ("size == orders", "'size' is not a number; only numbers compare with each other"),
        ("revenue is None", "unsupported comparison 'is'"),
    ],
)
def test_a_bad_condition_is_reported_with_what_is_wrong(condition: str, message: str) -> None:
    when = condition.replace("'", "''")
    assert _problems(("{name: B, min: 50}", f"{{name: B, when: '{when}'}}")) == [
        f"tiers[1].when: {message}"
    ]


def test_the_total_is_only_known_to_tier_rules() -> None:
    assert _problems(("when: key_account, points: 5", "when: total >= 50, points: 5")) == [
        "adjustments[0].when: unknown name 'total'"
    ]


def test_a_question_may_not_depend_on_scores() -> None:
    ask_if = ("      prompt: {en: How big", "      ask_if: base >= 50\n      prompt: {en: How big")
    assert _problems(ask_if) == ["qualification.questions[0].ask_if: unknown name 'base'"]


# -- qualification ------------------------------------------------------------------------


def test_a_question_prompt_needs_english_and_chinese() -> None:
    problems = _problems(
        (
            "prompt: {en: How big is it, zh: 规模多大}",
            "prompt: {en: How big is it}\n"
            "    - {field: orders, prompt: {}}\n"
            "    - {field: revenue, prompt: How much}\n"
            "    - {field: key_account, prompt: {zh: 是重点客户吗, fr: Oui}}",
        )
    )

    assert problems == [
        "qualification.questions[0].prompt: needs a text in every language; missing: zh",
        "qualification.questions[1].prompt: text is empty; give at least English, e.g. "
        "{en: ..., zh: ...}",
        "qualification.questions[2].prompt: needs a text in every language; missing: zh",
        "qualification.questions[3].prompt: unknown language fr; use en and zh",
    ]


def test_questions_must_ask_for_known_non_date_fields_once() -> None:
    problems = _problems(
        (
            "    - field: size\n",
            "    - {field: last_order, prompt: {en: When, zh: 何时}}\n"
            "    - {field: sizes, prompt: {en: Size, zh: 规模}}\n"
            "    - {field: size, prompt: {en: Size, zh: 规模}}\n"
            "    - field: size\n",
        )
    )

    assert problems == [
        "qualification.questions[0].field: a question cannot ask for a date field",
        "qualification.questions[1].field: unknown field 'sizes'; did you mean 'size'?",
        "qualification.questions[3].field: 'size' is asked twice",
    ]


# -- the file as a whole ------------------------------------------------------------------


def test_a_yaml_syntax_error_is_reported_with_its_line_and_column() -> None:
    text = _text(("  - {name: B, min: 50}", "  - {name: B, min: 50"))

    with pytest.raises(ModelError) as caught:
        load_model(text, source="errors.yaml")

    (problem,) = caught.value.problems
    # The unclosed mapping on line 25 shows where the next one starts.
    assert problem.path == "line 26, column 5"
    assert problem.message == "not valid YAML: expected ',' or '}', but got '{'"
    assert text.splitlines()[25] == "  - {name: C}"


def test_a_file_that_is_not_a_mapping_is_reported() -> None:
    with pytest.raises(ModelError, match="a model file must be a mapping of keys"):
        load_model("- just\n- a list\n", source="list.yaml")


def test_several_problems_are_reported_at_once_with_their_key_paths() -> None:
    problems = _problems(
        ("{min: 100000, max: 1000000, points: 25}", "{min: 100000, max: 100, points: 25}"),
        ("{field: size, weight: 30,", "{field: sise, weight: 30,"),
        (
            "linear: {from: 0, to: 12}",
            "bands: [{min: 1, points: 5}, {min: 10, max: 2, points: 25}]",
        ),
        ("{name: B, min: 50}", "{name: B, when: 'key_acount'}"),
    )

    assert problems == [
        "criteria[0].bands[1].min: min 100000 must be below max 100",
        "criteria[1].field: unknown field 'sise'; did you mean 'size'?",
        "criteria[2].bands[1].points: 25 exceeds the weight 20",
        "criteria[2].bands[1].min: min 10 must be below max 2",
        "tiers[1].when: unknown name 'key_acount' (did you mean 'key_account'?)",
    ]


def test_a_model_error_names_its_source_and_counts_its_problems() -> None:
    with pytest.raises(ModelError) as caught:
        load_model(_text(("{name: A, min: 75}", "{name: A, min: 120}")), source="mine.yaml")

    error = caught.value
    assert isinstance(error, ScoringError)
    assert error.source == "mine.yaml"
    assert str(error) == (
        "mine.yaml: 1 problem(s)\n"
        "  - tiers[0].min: 120 is above the highest total (100); it can never match"
    )


def test_shape_problems_are_reported_with_pydantic_paths() -> None:
    problems = _problems(
        ("version: 1", "version: 0"),
        ("cadence_days: 14", "cadence_days: 400"),
        ("weight: 50", "weight: -5"),
    )

    assert problems == [
        "version: Input should be greater than or equal to 1",
        "criteria[0].weight: Input should be greater than 0",
        "playbooks.A.cadence_days: Input should be less than or equal to 366",
    ]


# -- facts --------------------------------------------------------------------------------


def test_facts_that_do_not_fit_are_all_reported_with_a_did_you_mean() -> None:
    model = load_model(_text(), source="errors.yaml")

    with pytest.raises(FactsError) as caught:
        validate_facts(
            model, {"revenu": "1M", "orders": "2.5", "size": "huge", "key_account": "yes"}
        )

    assert isinstance(caught.value, ScoringError)
    assert [str(p) for p in caught.value.problems] == [
        "revenu: unknown field; did you mean 'revenue'?",
        "orders: 2.5 is not a whole number",
        "size: 'huge' is not one of: small, large",
    ]
