"""Read a model text and compile it, reporting every problem with its key path at once."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from typing import Any

import yaml
from pydantic import ValidationError
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode

from scoring.engine import SCORE_MAX
from scoring.errors import ModelError, Problem
from scoring.expressions import (
    Expr,
    ExpressionError,
    Literal,
    NameKind,
    Namespace,
    parse_condition,
)
from scoring.model import (
    IMPLICIT_SUB_SCORE,
    RESERVED_NAMES,
    Adjustment,
    Band,
    CompiledModel,
    Criterion,
    CriterionKind,
    FactValue,
    FieldDef,
    Playbook,
    Question,
    SubScore,
    Tier,
)
from scoring.spec import (
    FINITE_MESSAGE,
    CriterionSpec,
    FieldSpec,
    FieldType,
    ModelSpec,
    SubScoreSpec,
    TierSpec,
)
from scoring.text import LocalText


def load_model(text: str, source: str = "<model>") -> CompiledModel:
    """Parse, check and compile a YAML model text; raise ModelError listing every problem."""
    data = _read_yaml(text, source)
    try:
        spec = ModelSpec.model_validate(data)
    except ValidationError as error:
        raise ModelError(source, [_problem(e) for e in error.errors()]) from None
    return compile_spec(spec, text, source)


class _DuplicateKey(ConstructorError):
    """A mapping gives one key twice."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader refusing duplicate keys: plain YAML keeps the last one silently, so
    ``hysteresis: 3`` followed later by ``hysteresis: 50`` would quietly mean 50."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            # Keys merged in with "<<" may be overridden on purpose; only own keys count.
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            try:
                line = first_line.get(key)
            except TypeError:  # an unhashable key: the base class reports it
                break
            if line is not None:
                raise _DuplicateKey(
                    problem=f"key {key!r} is given twice (first on line {line}); keep one",
                    problem_mark=key_node.start_mark,
                )
            first_line[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def _read_yaml(text: str, source: str) -> Any:
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader
    except _DuplicateKey as error:
        mark = error.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ModelError(source, [Problem(where, str(error.problem))]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ModelError(source, [Problem(where, f"not valid YAML: {problem}")]) from None
    if not isinstance(data, dict):
        raise ModelError(source, [Problem("", "a model file must be a mapping of keys")])
    return data


def _problem(error: Any) -> Problem:
    path = ""
    for part in error["loc"]:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown key (check its spelling)"
    elif error["type"] == "finite_number":
        message = FINITE_MESSAGE
    return Problem(path, message.removeprefix("Value error, "))


def compile_spec(spec: ModelSpec, text: str, source: str = "<model>") -> CompiledModel:
    problems: list[Problem] = []
    compiler = _Compiler(spec, problems)
    model = compiler.compile(text)
    if problems:
        raise ModelError(source, problems)
    return model


class _Compiler:
    def __init__(self, spec: ModelSpec, problems: list[Problem]) -> None:
        self.spec = spec
        self.problems = problems

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def compile(self, text: str) -> CompiledModel:
        spec = self.spec
        fields = {name: self._field(name, f) for name, f in spec.fields.items()}
        self._check_names()
        criteria = tuple(self._criterion(i, c) for i, c in enumerate(spec.criteria))
        sub_scores = self._sub_scores(criteria)
        score_names = [s.name for s in sub_scores]
        adjustments = tuple(self._adjustment(i, score_names) for i in range(len(spec.adjustments)))
        tiers = self._tiers(score_names)
        limits = spec.adjustment_limits
        return CompiledModel(
            name=spec.name,
            version=spec.version,
            title=LocalText.of(spec.title),
            description=_text(spec.description),
            currency=spec.currency,
            review_every_days=spec.review_every_days,
            hysteresis=spec.hysteresis,
            fields=fields,
            sub_scores=sub_scores,
            criteria=criteria,
            adjustments=adjustments,
            adjustment_min=limits.min if limits else None,
            adjustment_max=limits.max if limits else None,
            tiers=tiers,
            playbooks=self._playbooks({t.name for t in tiers}),
            questions=self._questions(),
            source_text=text,
        )

    # -- fields -----------------------------------------------------------------
    def _field(self, name: str, spec: FieldSpec) -> FieldDef:
        path = f"fields.{name}"
        if spec.type is FieldType.CHOICE and not spec.choices:
            self.fail(f"{path}.choices", "a choice field needs its choices")
        if spec.type is not FieldType.CHOICE and spec.choices:
            self.fail(f"{path}.choices", f"only choice fields have choices (this is {spec.type})")
        if spec.min is not None and spec.max is not None and spec.min > spec.max:
            self.fail(f"{path}.min", f"min {spec.min:g} is above max {spec.max:g}")
        if spec.not_after is not None and spec.type is not FieldType.DATE:
            self.fail(f"{path}.not_after", f"only date fields have not_after (this is {spec.type})")
        choices = tuple(spec.choices or ())
        return FieldDef(
            name=name,
            type=spec.type,
            label=LocalText.of(spec.label or name.replace("_", " ")),
            help=_text(spec.help),
            unit=spec.unit,
            min=spec.min,
            max=spec.max,
            choices=choices,
            choice_labels=tuple(LocalText.of(t) for t in (spec.choices or {}).values()),
            default=self._default(path, spec, choices),
            aliases=tuple(dict.fromkeys(alias.casefold() for alias in spec.aliases)),
            not_after_today=spec.not_after == "today",
        )

    def _default(self, path: str, spec: FieldSpec, choices: tuple[str, ...]) -> FactValue | None:
        value = spec.default
        if value is None:
            return None
        ok = {
            FieldType.CHOICE: isinstance(value, str) and value in choices,
            FieldType.BOOLEAN: isinstance(value, bool),
            FieldType.DATE: False,
        }.get(spec.type, isinstance(value, int | float) and not isinstance(value, bool))
        if not ok:
            self.fail(f"{path}.default", f"{value!r} is not a valid {spec.type} default")
            return None
        return (
            float(value)
            if isinstance(value, int | float) and not isinstance(value, bool)
            else value
        )

    def _check_names(self) -> None:
        for name in self.spec.fields:
            if name in RESERVED_NAMES:
                self.fail(f"fields.{name}", f"{name!r} is reserved; choose another field name")
        self._check_aliases()
        for name in self.spec.sub_scores:
            if name in RESERVED_NAMES or name in self.spec.fields:
                self.fail(f"sub_scores.{name}", f"{name!r} is already a field or reserved name")

    def _check_aliases(self) -> None:
        # A typed name must mean one field: an alias may not be another field's name or
        # alias (ignoring case, as reps' typing is matched).
        owner: dict[str, str] = {name: name for name in self.spec.fields}
        for name, field in self.spec.fields.items():
            for i, alias in enumerate(field.aliases):
                folded = alias.casefold()
                taken = owner.setdefault(folded, name)
                if taken == name:
                    continue
                what = "the name of field" if folded == taken else "already an alias of"
                self.fail(f"fields.{name}.aliases[{i}]", f"{alias!r} is {what} {taken!r}")

    # -- criteria ---------------------------------------------------------------
    def _criterion(self, index: int, spec: CriterionSpec) -> Criterion:
        path = f"criteria[{index}]"
        field = self.spec.fields.get(spec.field)
        if field is None:
            self.fail(f"{path}.field", _unknown("field", spec.field, self.spec.fields))
        sub_score = spec.sub_score or IMPLICIT_SUB_SCORE
        if self.spec.sub_scores and spec.sub_score not in self.spec.sub_scores:
            self.fail(
                f"{path}.sub_score", _unknown("sub-score", spec.sub_score, self.spec.sub_scores)
            )
        if not self.spec.sub_scores and spec.sub_score is not None:
            self.fail(f"{path}.sub_score", "the model declares no sub_scores")
        kind = self._check_kind(path, spec, field)
        return Criterion(
            id=self._criterion_id(spec, index),
            field=spec.field,
            sub_score=sub_score,
            weight=spec.weight,
            label=LocalText.of(spec.label) if spec.label else self._field_label(spec.field),
            kind=kind,
            bands=tuple(Band(b.min, b.max, b.points, _text(b.label)) for b in (spec.bands or ())),
            low=spec.linear.low if spec.linear else 0.0,
            high=spec.linear.high if spec.linear else 0.0,
            map_points=dict(spec.map) if spec.map is not None else None,
            if_true=spec.boolean.if_true if spec.boolean else 0.0,
            if_false=spec.boolean.if_false if spec.boolean else 0.0,
        )

    def _criterion_id(self, spec: CriterionSpec, index: int) -> str:
        # Two criteria may read one field; the second then gets a positional id.
        mine = spec.id or spec.field
        earlier = [c.id or c.field for c in self.spec.criteria[:index]]
        if spec.id is not None and spec.id in earlier:
            self.fail(f"criteria[{index}].id", f"id {spec.id!r} is used twice")
        return f"{spec.field}_{index}" if mine in earlier else mine

    def _field_label(self, name: str) -> LocalText:
        field = self.spec.fields.get(name)
        return LocalText.of(field.label) if field and field.label else LocalText.of(name)

    def _check_kind(self, path: str, spec: CriterionSpec, field: FieldSpec | None) -> CriterionKind:
        if spec.bands is not None:
            self._check_bands(path, spec)
            self._needs_numeric(path, "bands", field)
            return CriterionKind.BANDS
        if spec.linear is not None:
            if spec.linear.low == spec.linear.high:
                self.fail(f"{path}.linear", "from and to must differ")
            self._needs_numeric(path, "linear", field)
            return CriterionKind.LINEAR
        if spec.map is not None:
            self._check_map(path, spec, field)
            return CriterionKind.MAP
        assert spec.boolean is not None
        for key in ("if_true", "if_false"):
            if getattr(spec.boolean, key) > spec.weight:
                self.fail(f"{path}.boolean.{key}", f"points exceed the weight {spec.weight:g}")
        if field is not None and field.type is not FieldType.BOOLEAN:
            self.fail(f"{path}.boolean", f"field {spec.field!r} is {field.type}, not boolean")
        return CriterionKind.BOOLEAN

    def _check_bands(self, path: str, spec: CriterionSpec) -> None:
        for i, band in enumerate(spec.bands or ()):
            if band.points > spec.weight:
                self.fail(
                    f"{path}.bands[{i}].points",
                    f"{band.points:g} exceeds the weight {spec.weight:g}",
                )
            if band.min is not None and band.max is not None and band.min >= band.max:
                self.fail(
                    f"{path}.bands[{i}].min", f"min {band.min:g} must be below max {band.max:g}"
                )

    def _needs_numeric(self, path: str, kind: str, field: FieldSpec | None) -> None:
        if field is not None and field.type in (FieldType.CHOICE, FieldType.BOOLEAN):
            self.fail(f"{path}.{kind}", f"{kind} needs a number or date field, not {field.type}")

    def _check_map(self, path: str, spec: CriterionSpec, field: FieldSpec | None) -> None:
        if field is not None and field.type is not FieldType.CHOICE:
            self.fail(f"{path}.map", f"map needs a choice field, not {field.type}")
            return
        for key, points in (spec.map or {}).items():
            if field is not None and key not in (field.choices or {}):
                self.fail(f"{path}.map.{key}", _unknown("choice", key, field.choices or {}))
            if not 0 <= points <= spec.weight:
                self.fail(
                    f"{path}.map.{key}",
                    f"{points:g} must be between 0 and the weight {spec.weight:g}",
                )

    def _sub_scores(self, criteria: tuple[Criterion, ...]) -> tuple[SubScore, ...]:
        declared: Mapping[str, SubScoreSpec | None] = self.spec.sub_scores or {
            IMPLICIT_SUB_SCORE: None
        }
        result = []
        for name, spec in declared.items():
            points = sum(c.weight for c in criteria if c.sub_score == name)
            if points == 0:
                self.fail(f"sub_scores.{name}" if spec else "criteria", "no criterion scores it")
            if not math.isfinite(points):
                self.fail(f"sub_scores.{name}" if spec else "criteria", _TOO_BIG)
            label = LocalText.of(spec.label) if spec and spec.label else LocalText.of(name)
            result.append(SubScore(name, label, spec.weight if spec else 1.0, points or 1.0))
        if not math.isfinite(sum(s.weight for s in result)):
            self.fail("sub_scores", _TOO_BIG)
        return tuple(result)

    # -- conditions -------------------------------------------------------------
    def _namespace(self, score_names: Iterable[str], extra: Iterable[str] = ()) -> Namespace:
        kinds: dict[str, NameKind] = {}
        choices: dict[str, tuple[str, ...]] = {}
        for name, field in self.spec.fields.items():
            if field.type is FieldType.CHOICE:
                kinds[name] = NameKind.CHOICE
                choices[name] = tuple(field.choices or ())
            elif field.type is FieldType.BOOLEAN:
                kinds[name] = NameKind.BOOLEAN
            else:
                kinds[name] = NameKind.NUMBER
        for name in (*score_names, *extra):
            kinds[name] = NameKind.SCORE
        return Namespace(kinds, choices)

    def _condition(self, path: str, text: str, namespace: Namespace) -> Expr | None:
        try:
            return parse_condition(text, namespace)
        except ExpressionError as error:
            self.fail(path, str(error))
            return None

    def _adjustment(self, index: int, score_names: list[str]) -> Adjustment:
        spec = self.spec.adjustments[index]
        path = f"adjustments[{index}]"
        condition = self._condition(
            f"{path}.when", spec.when, self._namespace(score_names, ["base"])
        )
        per_field = self.spec.fields.get(spec.per) if spec.per else None
        if spec.per and (
            per_field is None or per_field.type in (FieldType.CHOICE, FieldType.BOOLEAN)
        ):
            self.fail(f"{path}.per", f"{spec.per!r} must name a number field")
        return Adjustment(
            id=spec.id or f"adjustment_{index}",
            condition=condition or Literal(False),
            condition_text=spec.when,
            points=spec.points,
            per=spec.per,
            max_points=spec.max_points,
            reason=LocalText.of(spec.reason),
        )

    def _tiers(self, score_names: list[str]) -> tuple[Tier, ...]:
        namespace = self._namespace(score_names, ["base", "total"])
        seen: set[str] = set()
        tiers = []
        last = len(self.spec.tiers) - 1
        for rank, spec in enumerate(self.spec.tiers):
            path = f"tiers[{rank}]"
            if spec.name in seen:
                self.fail(f"{path}.name", f"tier {spec.name!r} is declared twice")
            seen.add(spec.name)
            tiers.append(self._tier(path, rank, spec, rank == last, namespace))
        self._check_thresholds()
        return tuple(tiers)

    def _tier(self, path: str, rank: int, spec: TierSpec, last: bool, ns: Namespace) -> Tier:
        if spec.min is not None and spec.when is not None:
            self.fail(path, "give min or when, not both")
        condition: Expr | None = None
        if last and (spec.min is not None or spec.when is not None):
            self.fail(path, "the last tier catches everything else: remove its min/when")
        elif not last and spec.min is None and spec.when is None:
            self.fail(path, "only the last tier may have neither min nor when")
        elif not last:
            text = f"total >= {spec.min!r}" if spec.min is not None else str(spec.when)
            condition = self._condition(f"{path}.when", text, ns)
        return Tier(
            name=spec.name,
            label=LocalText.of(spec.label or spec.name),
            rank=rank,
            condition=condition,
            min=spec.min if not last else None,
            close_window=_text(spec.close_window),
        )

    def _check_thresholds(self) -> None:
        previous: float | None = None
        for rank, spec in enumerate(self.spec.tiers):
            if spec.min is None:
                continue
            if spec.min > SCORE_MAX:
                self.fail(
                    f"tiers[{rank}].min",
                    f"{spec.min:g} is above the highest total ({SCORE_MAX:g}); it can never match",
                )
            elif previous is not None and spec.min >= previous:
                self.fail(
                    f"tiers[{rank}].min",
                    f"{spec.min:g} is not below the tier above ({previous:g}); it can never match",
                )
            previous = spec.min

    # -- playbooks and qualification -----------------------------------------
    def _playbooks(self, tier_names: set[str]) -> dict[str, Playbook]:
        books = {}
        for tier, spec in self.spec.playbooks.items():
            if tier not in tier_names:
                self.fail(f"playbooks.{tier}", _unknown("tier", tier, tier_names))
                continue
            books[tier] = Playbook(
                tier=tier,
                owner=LocalText.of(spec.owner),
                cadence_days=spec.cadence_days,
                service_level=LocalText.of(spec.service_level),
                terms=_text(spec.terms),
                next_steps=tuple(LocalText.of(step) for step in spec.next_steps),
            )
        return books

    def _questions(self) -> tuple[Question, ...]:
        if self.spec.qualification is None:
            return ()
        namespace = self._namespace(())
        questions = []
        asked: set[str] = set()
        for i, spec in enumerate(self.spec.qualification.questions):
            path = f"qualification.questions[{i}]"
            field = self.spec.fields.get(spec.field)
            if field is None:
                self.fail(f"{path}.field", _unknown("field", spec.field, self.spec.fields))
            elif field.type is FieldType.DATE:
                self.fail(f"{path}.field", "a question cannot ask for a date field")
            if spec.field in asked:
                self.fail(f"{path}.field", f"{spec.field!r} is asked twice")
            asked.add(spec.field)
            ask_if = (
                self._condition(f"{path}.ask_if", spec.ask_if, namespace) if spec.ask_if else None
            )
            questions.append(
                Question(spec.field, LocalText.of(spec.prompt), ask_if, _text(spec.help))
            )
        return tuple(questions)


_TOO_BIG = "the weights add up to more than a number can hold; use smaller weights"


def _text(value: Mapping[str, str] | None) -> LocalText | None:
    return LocalText.of(value) if value else None


def _unknown(what: str, name: object, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(name), list(known), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {what} {name!r}{hint}"
