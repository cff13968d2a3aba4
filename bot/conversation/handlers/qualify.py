"""Qualify a prospect in a short conversation: one question at a time, back and cancel.

The state (answers so far, the order they were given in) lives in the database through
the service, keyed by platform + chat + person, so it survives a restart and any
replica can take the next answer.
"""

from __future__ import annotations

from typing import Any

from bot.conversation.handlers.accounts import sample_value, shown
from bot.conversation.messages import Button, ButtonStyle, Reply, ReplyKind, Section
from bot.conversation.parser import Command
from bot.conversation.texts import Texts, flat
from bot.conversation.turn import Turn
from bot.service.qualifications import QualifiedProspect
from scoring import (
    CompiledModel,
    FactValue,
    LocalText,
    Qualification,
    QualificationError,
    facts_to_json,
    parse_answer,
    qualify,
)
from scoring.spec import FieldType

FLOW = "qualify"
ANSWER_PREFIX = "qualify answer "


class QualifyFlow:
    def __init__(self, model: CompiledModel) -> None:
        self.model = model

    async def start(self, turn: Turn, command: Command) -> Reply:
        state: dict[str, Any] = {"name": command.target, "answers": {}, "order": []}
        return await self._ask(turn, state)

    async def answer(self, turn: Turn, command: Command) -> Reply:
        state = await self._state(turn)
        if state is None:
            return _no_flow(turn.texts)
        current = qualify(self.model, _answers(state)).next_question
        field = command.target or (current.field if current else "")
        try:
            value = parse_answer(self.model, field, self._choice_by_number(field, command.value))
        except QualificationError:
            return self._invalid(turn, state, field, command.value)
        state["answers"][field] = value
        state["order"] = [f for f in state["order"] if f != field] + [field]
        return await self._ask(turn, state)

    async def back(self, turn: Turn, command: Command) -> Reply:
        state = await self._state(turn)
        if state is None:
            return _no_flow(turn.texts)
        if state["order"]:
            state["answers"].pop(state["order"].pop(), None)
        state.pop("done", None)
        return await self._ask(turn, state)

    async def cancel(self, turn: Turn, command: Command) -> Reply:
        if await self._state(turn) is None and not turn.message.is_button:
            # Typed: say so. A Cancel button pressed twice (a double tap) answers the
            # same both times: its question is cancelled either way.
            return Reply(title=turn.texts("qualify", "nothing_to_cancel"))
        await turn.service.clear_state(*_key(turn))
        return Reply(title=turn.texts("qualify", "cancelled"))

    async def save(self, turn: Turn, command: Command) -> Reply:
        state = await self._state(turn)
        if state is None or not state.get("done"):
            return _no_flow(turn.texts)
        name = command.target or state.get("name", "")
        if not name:
            return Reply(title=turn.texts("qualify", "save_needs_name"), kind=ReplyKind.ERROR)
        active = await turn.service.active_model()
        answers = _answers(state)
        facts = {k: v for k, v in answers.items() if k in active.fields}
        saved = await turn.service.save_qualification(
            turn.actor, name, self._qualified(answers), facts=facts
        )
        await turn.service.clear_state(*_key(turn))
        grade = state.get("grade", "")
        note = turn.texts(
            "qualify", "saved" if saved.created else "added", grade=grade, name=flat(name)
        )
        return shown(turn, saved.card, note)

    def _qualified(self, answers: dict[str, FactValue]) -> QualifiedProspect:
        result = qualify(self.model, answers)
        grade = result.provisional_grade
        tier = self.model.tier(grade)
        label = result.close_window or (tier.label if tier is not None else LocalText.of(grade))
        return QualifiedProspect(
            grade=grade,
            label=label,
            model=f"{self.model.name} v{self.model.version}",
            answers=dict(facts_to_json(answers)),
        )

    def _choice_by_number(self, field: str, raw: str) -> str:
        definition = self.model.fields.get(field)
        if definition and definition.type is FieldType.CHOICE and raw.isdigit():
            index = int(raw) - 1
            if 0 <= index < len(definition.choices):
                return definition.choices[index]
        return raw

    async def _state(self, turn: Turn) -> dict[str, Any] | None:
        loaded = await turn.service.load_state(*_key(turn))
        if loaded is None or loaded[0] != FLOW:
            return None
        return loaded[1]

    async def _ask(self, turn: Turn, state: dict[str, Any]) -> Reply:
        result = qualify(self.model, _answers(state))
        if result.next_question is None:
            state["done"], state["grade"] = True, result.provisional_grade
            await turn.service.save_state(*_key(turn), FLOW, _jsonable(state))
            return self._result(turn.texts, state, result)
        await turn.service.save_state(*_key(turn), FLOW, _jsonable(state))
        return self._question(turn.texts, state, result)

    def _question(self, texts: Texts, state: dict[str, Any], result: Qualification) -> Reply:
        question = result.next_question
        assert question is not None
        field = self.model.fields[question.field]
        buttons = [
            Button(texts.local(label), f"{ANSWER_PREFIX}{field.name}={choice}")
            for choice, label in zip(field.choices, field.choice_labels, strict=True)
        ]
        if field.type is FieldType.BOOLEAN:
            buttons = [
                Button(texts("common", "yes"), f"{ANSWER_PREFIX}{field.name}=yes"),
                Button(texts("common", "no"), f"{ANSWER_PREFIX}{field.name}=no"),
            ]
        if state["order"]:
            buttons.append(Button(texts("qualify", "back"), "qualify back"))
        buttons.append(Button(texts("qualify", "cancel"), "qualify cancel", ButtonStyle.DANGER))
        grade = self.model.tier(result.provisional_grade)
        return Reply(
            title=texts.local(question.prompt),
            kind=ReplyKind.QUESTION,
            sections=(
                Section(
                    None,
                    texts.lines(
                        "qualify",
                        "progress",
                        number=len(state["order"]) + 1,
                        left=len(result.open_questions),
                        grade=result.provisional_grade,
                        window=texts.local(grade.close_window) if grade else "",
                        help=texts.local(question.help),
                        typed=field.type not in (FieldType.CHOICE, FieldType.BOOLEAN),
                    ),
                ),
            ),
            buttons=tuple(buttons),
            extra={"flow": FLOW, "field": field.name},
        )

    def _result(self, texts: Texts, state: dict[str, Any], result: Qualification) -> Reply:
        grade = self.model.tier(result.provisional_grade)
        assert grade is not None
        book = result.playbook
        steps = tuple(
            f"{i}. {texts.local(s)}" for i, s in enumerate(book.next_steps if book else (), 1)
        )
        answers = tuple(
            f"{texts.local(self.model.fields[f].label)}: {texts.fact(self.model.fields[f], v)}"
            for f, v in _answers(state).items()
        )
        buttons = [Button(texts("qualify", "save_button"), "qualify save", ButtonStyle.PRIMARY)]
        if state["order"]:
            buttons.append(Button(texts("qualify", "back"), "qualify back"))
        return Reply(
            title=texts(
                "qualify",
                "result_title",
                name=flat(state.get("name", "")),
                grade=grade.name,
                label=texts.local(grade.label),
            ),
            kind=ReplyKind.CARD,
            fields=texts.fields(
                "qualify",
                "result_fields",
                window=texts.local(grade.close_window),
                owner=texts.local(book.owner) if book else "",
            ),
            sections=(
                Section(texts("qualify", "answers_title"), answers),
                Section(texts("qualify", "steps_title"), steps),
            ),
            buttons=tuple(buttons),
            footer=texts("qualify", "save_hint"),
        )

    def _invalid(self, turn: Turn, state: dict[str, Any], field: str, raw: str) -> Reply:
        """Say what was wrong with an answer in the person's language, and ask again."""
        texts = turn.texts
        question = self._question(texts, state, qualify(self.model, _answers(state)))
        problem, choices = self._problem(turn, field, raw)
        sections = [Section(question.title, question.sections[0].lines)]
        if choices:
            sections.append(Section(texts("qualify", "choices_title"), choices))
        return Reply(
            title=texts("qualify", "invalid_answer", problem=problem),
            kind=ReplyKind.ERROR,
            sections=tuple(sections),
            buttons=question.buttons,
        )

    def _problem(self, turn: Turn, field: str, raw: str) -> tuple[str, tuple[str, ...]]:
        """What is wrong with ``raw`` as an answer for ``field``, and the choices to list.

        Said here from the field's type rather than taken from the scoring library,
        whose messages are English and name choices by their internal codes.
        """
        texts, answer = turn.texts, flat(raw)
        definition = self.model.fields.get(field)
        if definition is None or field not in {q.field for q in self.model.questions}:
            return texts("qualify", "not_a_question"), ()
        if definition.type is FieldType.CHOICE:
            choices = tuple(
                f"{number}. {texts.local(label)}"
                for number, label in enumerate(definition.choice_labels, 1)
            )
            return texts("qualify", "not_a_choice", answer=answer), choices
        if definition.type is FieldType.BOOLEAN:
            return texts("qualify", "not_yes_or_no", answer=answer), ()
        example = sample_value(definition, turn.now.date())
        return texts("qualify", "not_a_value", answer=answer, example=example), ()


def _answers(state: dict[str, Any]) -> dict[str, FactValue]:
    return dict(state.get("answers", {}))


def _jsonable(state: dict[str, Any]) -> dict[str, Any]:
    return {**state, "answers": dict(state["answers"]), "order": list(state["order"])}


def _key(turn: Turn) -> tuple[str, str, str]:
    message = turn.message
    return message.platform.value, message.chat_id, message.user_id


def _no_flow(texts: Texts) -> Reply:
    return Reply(
        title=texts("qualify", "no_flow"),
        kind=ReplyKind.ERROR,
        buttons=(Button(texts("qualify", "start_button"), "qualify"),),
    )
