"""The shape of a model file, as sales ops write it (YAML), checked with pydantic.

This module only checks *shape* (keys, types, ranges of single values). Every number
must be finite: ``.inf`` or ``.nan`` in a weight, band or threshold would turn scores into
NaN long after the file was accepted. Whether the parts fit together (a criterion reads
a field that exists, a condition names real facts, tiers are reachable) is checked when
the spec is compiled, in ``compile.py``.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

LOCALES = ("en", "zh")


def _text_from_str(value: Any) -> Any:
    return {"en": value} if isinstance(value, str) else value


def _known_locales(value: dict[str, str]) -> dict[str, str]:
    unknown = sorted(set(value) - set(LOCALES))
    if unknown:
        raise ValueError(f"unknown language {', '.join(unknown)}; use {' and '.join(LOCALES)}")
    if not value:
        raise ValueError("text is empty; give at least English, e.g. {en: ..., zh: ...}")
    return value


def _both_locales(value: dict[str, str]) -> dict[str, str]:
    missing = [locale for locale in LOCALES if not value.get(locale)]
    if missing:
        raise ValueError(f"needs a text in every language; missing: {', '.join(missing)}")
    return value


Text = Annotated[dict[str, str], BeforeValidator(_text_from_str), AfterValidator(_known_locales)]
BilingualText = Annotated[Text, AfterValidator(_both_locales)]
Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=48)]
# What a rep may type instead of a field's name, e.g. in ``set Acme 销售额=1.2M``: any
# letters (Chinese too) but no spaces or "=", which separate the assignments.
Alias = Annotated[str, Field(pattern=r"^[^\s=]+$", max_length=48)]
FINITE_MESSAGE = "must be a finite number (.inf and .nan are not allowed)"


def _finite_default(value: Any) -> Any:
    # ``default`` is a union, so pydantic would report one error per member; say it once.
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(FINITE_MESSAGE)
    return value


class _Spec(BaseModel):
    # allow_inf_nan=False: every float in every spec must be finite.
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )


class FieldType(StrEnum):
    NUMBER = "number"
    INTEGER = "integer"
    PERCENT = "percent"  # in percent points: 35 means 35%
    MONEY = "money"  # in the model's currency
    CHOICE = "choice"
    BOOLEAN = "boolean"
    DATE = "date"  # read by criteria and conditions as days since the date


NUMERIC_TYPES = frozenset(
    {FieldType.NUMBER, FieldType.INTEGER, FieldType.PERCENT, FieldType.MONEY, FieldType.DATE}
)


class FieldSpec(_Spec):
    """One fact. ``aliases``: other names reps may type for it, matched ignoring case
    (``revenue``, ``销售额``); no two fields may share a name or alias.
    ``not_after: today`` (date fields only): a date later than today is refused when
    facts are entered, e.g. a last order date cannot lie in the future.
    """

    type: FieldType
    label: Text | None = None
    help: Text | None = None
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    choices: dict[str, Text] | None = None
    default: Annotated[float | bool | str | None, BeforeValidator(_finite_default)] = None
    aliases: list[Alias] = Field(default_factory=list)
    not_after: Literal["today"] | None = None


class BandSpec(_Spec):
    min: float | None = None
    max: float | None = None
    points: float = Field(ge=0)
    label: Text | None = None


class LinearSpec(_Spec):
    low: float = Field(alias="from")
    high: float = Field(alias="to")


class BooleanSpec(_Spec):
    if_true: float = Field(ge=0)
    if_false: float = Field(default=0.0, ge=0)


class CriterionSpec(_Spec):
    id: Name | None = None
    field: Name
    weight: float = Field(gt=0)
    sub_score: Name | None = None
    label: Text | None = None
    bands: list[BandSpec] | None = Field(default=None, min_length=1)
    linear: LinearSpec | None = None
    map: dict[str, float] | None = None
    boolean: BooleanSpec | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> CriterionSpec:
        kinds = [k for k in ("bands", "linear", "map", "boolean") if getattr(self, k) is not None]
        if len(kinds) != 1:
            found = ", ".join(kinds) or "none"
            raise ValueError(f"give exactly one of bands, linear, map, boolean (found: {found})")
        return self


class SubScoreSpec(_Spec):
    label: Text | None = None
    weight: float = Field(gt=0)


class AdjustmentSpec(_Spec):
    id: Name | None = None
    when: str = Field(min_length=1)
    points: float
    per: Name | None = None
    max_points: float | None = Field(default=None, gt=0)
    reason: Text


class LimitsSpec(_Spec):
    min: float | None = None
    max: float | None = None


class TierSpec(_Spec):
    name: str = Field(min_length=1, max_length=24)
    label: Text | None = None
    min: float | None = None
    when: str | None = None
    close_window: Text | None = None


class PlaybookSpec(_Spec):
    owner: Text
    cadence_days: int = Field(gt=0, le=366)
    service_level: Text
    terms: Text | None = None
    next_steps: list[Text] = Field(min_length=1)


class QuestionSpec(_Spec):
    field: Name
    prompt: BilingualText
    ask_if: str | None = None
    help: Text | None = None


class QualificationSpec(_Spec):
    questions: list[QuestionSpec] = Field(min_length=1)


class ModelSpec(_Spec):
    name: Name
    version: int = Field(ge=1)
    title: Text
    description: Text | None = None
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    review_every_days: int = Field(default=90, gt=0)
    hysteresis: float = Field(default=0.0, ge=0, le=50)
    fields: dict[Name, FieldSpec] = Field(min_length=1)
    sub_scores: dict[Name, SubScoreSpec] = Field(default_factory=dict)
    criteria: list[CriterionSpec] = Field(default_factory=list)
    adjustments: list[AdjustmentSpec] = Field(default_factory=list)
    adjustment_limits: LimitsSpec | None = None
    tiers: list[TierSpec] = Field(min_length=2)
    playbooks: dict[str, PlaybookSpec] = Field(default_factory=dict)
    qualification: QualificationSpec | None = None
