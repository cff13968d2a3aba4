"""Qualifying a prospect in a short conversation with the shipped prospect model."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

import scoring
from scoring import (
    CompiledModel,
    FactValue,
    QualificationError,
    load_model,
    parse_answer,
    qualify,
    score,
)


@cache
def prospect() -> CompiledModel:
    path = Path(scoring.__file__).parent / "models" / "prospect.yaml"
    return load_model(path.read_text(encoding="utf-8"), source=path.name)


def _open(answers: dict[str, FactValue]) -> list[str]:
    return [q.field for q in qualify(prospect(), answers).open_questions]


# -- the article's situations -------------------------------------------------------------

SITUATIONS = [
    # A: within 3 months
    ({"digitised": False, "need_stage": "selecting"}, "A", "within 3 months", "3个月内"),
    ({"digitised": True, "current_system": "replacing"}, "A", "within 3 months", "3个月内"),
    # B: 4-6 months
    (
        {"digitised": False, "need_stage": "waiting_for_event"},
        "B",
        "in 4 to 6 months",
        "4至6个月内",
    ),
    (
        {"digitised": True, "current_system": "unhappy_with_vendor"},
        "B",
        "in 4 to 6 months",
        "4至6个月内",
    ),
    (
        {"digitised": True, "current_system": "orphaned_in_house"},
        "B",
        "in 4 to 6 months",
        "4至6个月内",
    ),
    # C: 7-12 months
    ({"digitised": False, "need_stage": "no_urgency"}, "C", "in 7 to 12 months", "7至12个月内"),
    # D: not within 12 months
    (
        {"digitised": False, "need_stage": "denies_need"},
        "D",
        "not within 12 months",
        "12个月内无法成交",
    ),
    (
        {"digitised": True, "current_system": "satisfied"},
        "D",
        "not within 12 months",
        "12个月内无法成交",
    ),
    (
        {"digitised": True, "current_system": "just_signed"},
        "D",
        "not within 12 months",
        "12个月内无法成交",
    ),
    (
        {"digitised": True, "current_system": "building_own"},
        "D",
        "not within 12 months",
        "12个月内无法成交",
    ),
]


@pytest.mark.parametrize(("answers", "grade", "window_en", "window_zh"), SITUATIONS)
def test_each_situation_of_the_article_lands_in_its_grade_and_close_window(
    answers: dict[str, FactValue], grade: str, window_en: str, window_zh: str
) -> None:
    result = qualify(prospect(), answers)

    assert result.decided
    assert result.grade == grade
    assert result.possible_grades == (grade,)
    assert result.close_window is not None
    assert result.close_window.get("en") == window_en
    assert result.close_window.get("zh") == window_zh
    assert result.playbook is not None
    assert result.playbook.tier == grade
    assert result.next_question is None


@pytest.mark.parametrize(("answers", "grade", "window_en", "window_zh"), SITUATIONS)
def test_scoring_a_prospect_gives_the_same_grade_as_qualifying_it(
    answers: dict[str, FactValue], grade: str, window_en: str, window_zh: str
) -> None:
    assert score(prospect(), answers).tier == grade


def test_the_questions_come_in_both_languages() -> None:
    questions = prospect().questions

    assert 3 <= len(questions) <= 5
    assert questions[0].field == "digitised"
    for question in questions:
        assert question.prompt.get("en") != question.prompt.get("zh")
        assert question.prompt.get("zh")


# -- partial answers ----------------------------------------------------------------------


def test_no_answers_give_a_provisional_a_with_every_grade_open_and_the_first_question_next() -> (
    None
):
    result = qualify(prospect(), {})

    assert result.provisional_grade == "A"
    assert not result.decided
    assert result.grade is None
    assert result.possible_grades == ("A", "B", "C", "D")
    assert result.next_question is not None
    assert result.next_question.field == "digitised"
    assert [q.field for q in result.open_questions] == [
        "digitised",
        "need_stage",
        "current_system",
        "annual_revenue",
        "ownership",
    ]


def test_a_partial_answer_gives_a_provisional_grade_and_the_open_questions() -> None:
    result = qualify(prospect(), {"digitised": False})

    assert result.provisional_grade == "A"
    assert not result.decided
    assert result.possible_grades == ("A", "B", "C", "D")
    assert result.close_window is not None
    assert result.close_window.get("en") == "within 3 months"
    assert result.next_question is not None
    assert result.next_question.field == "need_stage"


def test_answers_that_do_not_decide_the_grade_keep_it_provisional() -> None:
    result = qualify(prospect(), {"annual_revenue": 80_000_000.0, "ownership": "private"})

    assert not result.decided
    assert result.possible_grades == ("A", "B", "C", "D")
    assert result.next_question is not None
    assert result.next_question.field == "digitised"


def test_a_stage_answer_without_the_digitised_answer_is_not_enough() -> None:
    # Denying the need rules C out, but A and B stay possible until we know whether the
    # prospect runs a system (then only the question about that system counts).
    result = qualify(prospect(), {"need_stage": "denies_need"})

    assert not result.decided
    assert result.possible_grades == ("A", "B", "D")


def test_a_prospect_that_is_digitised_can_no_longer_be_c() -> None:
    # C is only for prospects without a system: with a system, A, B or D remain.
    result = qualify(prospect(), {"digitised": True})

    assert result.possible_grades == ("A", "B", "D")
    assert result.next_question is not None
    assert result.next_question.field == "current_system"


def test_questions_that_are_not_asked_any_more_leave_the_open_list_in_order() -> None:
    answers: dict[str, FactValue] = {"digitised": True, "current_system": "satisfied"}

    result = qualify(prospect(), answers)

    assert result.grade == "D"
    assert [q.field for q in result.open_questions] == ["annual_revenue", "ownership"]
    assert dict(result.answers) == answers


# -- ask_if -------------------------------------------------------------------------------


def test_ask_if_hides_the_question_about_the_current_system_from_a_prospect_without_one() -> None:
    assert _open({"digitised": False}) == ["need_stage", "annual_revenue", "ownership"]


def test_ask_if_hides_the_question_about_plans_from_a_prospect_with_a_system() -> None:
    assert _open({"digitised": True}) == ["current_system", "annual_revenue", "ownership"]


def test_ask_if_shows_both_follow_ups_while_the_first_answer_is_unknown() -> None:
    assert {"need_stage", "current_system"} <= set(_open({}))


def test_a_leftover_answer_for_a_hidden_question_does_not_change_the_grade() -> None:
    # Answered "selecting" first, then corrected: the prospect already runs a system it likes.
    answers: dict[str, FactValue] = {
        "need_stage": "selecting",
        "digitised": True,
        "current_system": "satisfied",
    }

    assert qualify(prospect(), answers).grade == "D"


# -- answers as typed ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "raw", "value"),
    [
        ("digitised", "是", True),
        ("digitised", "no", False),
        ("need_stage", "selecting", "selecting"),
        ("need_stage", "已经开始或即将开始选型", "selecting"),
        ("ownership", "民营企业", "private"),
        ("ownership", "State-owned", "state_owned"),
        ("annual_revenue", "8000万", 80_000_000.0),
        ("annual_revenue", "1.5亿", 150_000_000.0),
        ("annual_revenue", "80M", 80_000_000.0),
    ],
)
def test_an_answer_is_read_as_people_type_it(field: str, raw: str, value: FactValue) -> None:
    assert parse_answer(prospect(), field, raw) == value


def test_an_answer_that_does_not_fit_its_question_is_refused_with_a_hint() -> None:
    with pytest.raises(QualificationError) as caught:
        parse_answer(prospect(), "ownership", "privat")

    assert [str(p) for p in caught.value.problems] == [
        "ownership: 'privat' is not one of: state_owned, private, foreign, joint_venture, other;"
        " did you mean 'private'?"
    ]


def test_an_answer_to_a_question_the_model_does_not_ask_is_refused() -> None:
    with pytest.raises(QualificationError, match="latent_need: is not a question of this model"):
        parse_answer(prospect(), "latent_need", "high")


def test_a_model_without_questions_cannot_qualify() -> None:
    path = Path(scoring.__file__).parent / "models" / "default.yaml"
    model = load_model(path.read_text(encoding="utf-8"), source=path.name)

    with pytest.raises(QualificationError, match="this model asks no questions"):
        qualify(model, {})


def test_a_conversation_reaches_a_grade_one_answer_at_a_time() -> None:
    answers: dict[str, FactValue] = {}
    typed = {"digitised": "否", "need_stage": "waiting_for_event"}
    asked = []

    result = qualify(prospect(), answers)
    while result.next_question is not None:
        field = result.next_question.field
        asked.append(field)
        answers[field] = parse_answer(prospect(), field, typed[field])
        result = qualify(prospect(), answers)

    assert asked == ["digitised", "need_stage"]
    assert result.grade == "B"
    assert result.close_window is not None
    assert result.close_window.get("zh") == "4至6个月内"
