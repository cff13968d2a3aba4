"""Qualify a prospect in a short conversation: ask the model's questions, grade from answers.

The grade comes from the model's own tier rules, read with three-valued logic: an
unanswered question is *unknown*, so after each answer we know which grades are still
possible, whether the grade is settled, and which questions are still open.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from scoring.engine import score
from scoring.errors import Problem, QualificationError
from scoring.expressions import Value
from scoring.model import CompiledModel, FactValue, Playbook, Question, Tier
from scoring.text import LocalText
from scoring.values import ValueProblem, parse_value


@dataclass(frozen=True, slots=True)
class Qualification:
    provisional_grade: str  # the best grade still possible
    decided: bool  # True when no open answer can change the grade
    possible_grades: tuple[str, ...]
    close_window: LocalText | None
    playbook: Playbook | None
    next_question: Question | None
    open_questions: tuple[Question, ...]
    answers: Mapping[str, FactValue]

    @property
    def grade(self) -> str | None:
        return self.provisional_grade if self.decided else None


def parse_answer(model: CompiledModel, field: str, raw: object) -> FactValue:
    """Check one answer against its question's field; QualificationError if it does not fit."""
    if field not in {q.field for q in model.questions}:
        raise QualificationError("answer", [Problem(field, "is not a question of this model")])
    try:
        return parse_value(model.fields[field], raw)
    except ValueProblem as problem:
        raise QualificationError("answer", [Problem(field, str(problem))]) from None


def qualify(model: CompiledModel, answers: Mapping[str, FactValue]) -> Qualification:
    """Where a prospect stands given the answers so far (any subset, in any order)."""
    if not model.questions:
        raise QualificationError(
            model.name, [Problem("qualification", "this model asks no questions")]
        )
    env = _answer_env(model, answers)
    possible: list[Tier] = []
    decided = False
    for tier in model.tiers:
        status = True if tier.condition is None else tier.condition.holds(env)
        if status is False:
            continue
        possible.append(tier)
        if status is True:
            decided = True
            break
    best = possible[0]
    open_questions = _open_questions(model, answers, env)
    return Qualification(
        provisional_grade=best.name,
        decided=decided and len(possible) == 1,
        possible_grades=tuple(t.name for t in possible),
        close_window=best.close_window,
        playbook=model.playbook(best.name),
        next_question=None if decided and len(possible) == 1 else next(iter(open_questions), None),
        open_questions=open_questions,
        answers=dict(answers),
    )


def _answer_env(model: CompiledModel, answers: Mapping[str, FactValue]) -> dict[str, Value | None]:
    # Unanswered facts stay unknown here (no defaults), unlike when scoring an account.
    env: dict[str, Value | None] = {name: None for name in model.fields}
    for name, value in answers.items():
        env[name] = value if not isinstance(value, int) or isinstance(value, bool) else float(value)  # type: ignore[assignment]
    scored = score(model, answers)
    env.update(scored.sub_scores)
    env["base"], env["total"] = scored.base, scored.total
    return env


def _open_questions(
    model: CompiledModel, answers: Mapping[str, FactValue], env: Mapping[str, Value | None]
) -> tuple[Question, ...]:
    return tuple(
        q
        for q in model.questions
        if q.field not in answers and (q.ask_if is None or q.ask_if.holds(env) is not False)
    )
