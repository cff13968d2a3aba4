"""A compiled tier model: immutable, checked, and ready to score with."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from scoring.expressions import Expr
from scoring.spec import NUMERIC_TYPES, FieldType
from scoring.text import LocalText

FactValue = float | str | bool | date
Facts = Mapping[str, FactValue]


@dataclass(frozen=True, slots=True)
class FieldDef:
    name: str
    type: FieldType
    label: LocalText
    help: LocalText | None
    unit: str | None
    min: float | None
    max: float | None
    choices: tuple[str, ...]
    choice_labels: tuple[LocalText, ...]
    default: FactValue | None
    aliases: tuple[str, ...] = ()  # other names reps may type, casefolded
    not_after_today: bool = False  # dates: refuse a date later than today when entered

    @property
    def is_numeric(self) -> bool:
        return self.type in NUMERIC_TYPES

    def answers_to(self, name: str) -> bool:
        """True when ``name`` (any case) is this field's name or one of its aliases."""
        folded = name.strip().casefold()
        return folded == self.name or folded in self.aliases

    def choice_label(self, choice: str) -> LocalText:
        return self.choice_labels[self.choices.index(choice)]


class CriterionKind(StrEnum):
    BANDS = "bands"
    LINEAR = "linear"
    MAP = "map"
    BOOLEAN = "boolean"


@dataclass(frozen=True, slots=True)
class Band:
    min: float | None
    max: float | None
    points: float
    label: LocalText | None

    def contains(self, value: float) -> bool:
        return (self.min is None or value >= self.min) and (self.max is None or value < self.max)

    def describe(self) -> str:
        if self.min is not None and self.max is not None:
            return f"{_num(self.min)}–{_num(self.max)}"
        if self.min is not None:
            return f"≥ {_num(self.min)}"
        return f"< {_num(self.max)}" if self.max is not None else "any"


def _num(value: float) -> str:
    return f"{value:g}" if abs(value) < 1e6 else f"{value:,.0f}"


@dataclass(frozen=True, slots=True)
class Criterion:
    id: str
    field: str
    sub_score: str
    weight: float
    label: LocalText
    kind: CriterionKind
    bands: tuple[Band, ...] = ()
    low: float = 0.0  # linear: no points at low, all points at high (either order)
    high: float = 0.0
    map_points: Mapping[str, float] | None = None
    if_true: float = 0.0
    if_false: float = 0.0


@dataclass(frozen=True, slots=True)
class SubScore:
    name: str
    label: LocalText
    weight: float
    max_points: float


@dataclass(frozen=True, slots=True)
class Adjustment:
    id: str
    condition: Expr
    condition_text: str
    points: float
    per: str | None
    max_points: float | None
    reason: LocalText


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    label: LocalText
    rank: int  # 0 is the best tier
    condition: Expr | None  # None: the catch-all last tier
    min: float | None  # set when the tier is a plain threshold on the total
    close_window: LocalText | None


@dataclass(frozen=True, slots=True)
class Playbook:
    tier: str
    owner: LocalText
    cadence_days: int
    service_level: LocalText
    terms: LocalText | None
    next_steps: tuple[LocalText, ...]


@dataclass(frozen=True, slots=True)
class Question:
    field: str
    prompt: LocalText
    ask_if: Expr | None
    help: LocalText | None


@dataclass(frozen=True, slots=True)
class CompiledModel:
    name: str
    version: int
    title: LocalText
    description: LocalText | None
    currency: str
    review_every_days: int
    hysteresis: float
    fields: Mapping[str, FieldDef]
    sub_scores: tuple[SubScore, ...]
    criteria: tuple[Criterion, ...]
    adjustments: tuple[Adjustment, ...]
    adjustment_min: float | None
    adjustment_max: float | None
    tiers: tuple[Tier, ...]
    playbooks: Mapping[str, Playbook]
    questions: tuple[Question, ...]
    source_text: str

    @property
    def tier_names(self) -> tuple[str, ...]:
        return tuple(tier.name for tier in self.tiers)

    def resolve_field(self, name: str) -> FieldDef | None:
        """The field ``name`` means: its name or one of its aliases, ignoring case."""
        exact = self.fields.get(name)
        if exact is not None:
            return exact
        return next((f for f in self.fields.values() if f.answers_to(name)), None)

    def tier(self, name: str) -> Tier | None:
        return next((tier for tier in self.tiers if tier.name == name), None)

    def tier_rank(self, name: str | None) -> int | None:
        tier = self.tier(name) if name is not None else None
        return tier.rank if tier is not None else None

    def playbook(self, tier: str) -> Playbook | None:
        return self.playbooks.get(tier)

    @property
    def has_sub_scores(self) -> bool:
        return len(self.sub_scores) > 1 or self.sub_scores[0].name != IMPLICIT_SUB_SCORE

    def scored_fields(self) -> tuple[str, ...]:
        """Fields that criteria read, in criterion order, each once."""
        return tuple(dict.fromkeys(criterion.field for criterion in self.criteria))


IMPLICIT_SUB_SCORE = "score"
RESERVED_NAMES = frozenset({"base", "total", "true", "false", IMPLICIT_SUB_SCORE})
