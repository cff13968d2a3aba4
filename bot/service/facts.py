"""Facts as stored (JSON) and as scored (typed values), and changes between the two."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from bot.service.errors import InvalidInput
from scoring import (
    CompiledModel,
    FactsError,
    FactValue,
    columns_from_rows,
    facts_to_json,
    parse_value,
    validate_facts,
)
from scoring.errors import Problem

Stored = Mapping[str, Any]
Changes = dict[str, tuple[FactValue | None, FactValue | None]]


def decode(model: CompiledModel, stored: Stored) -> dict[str, FactValue]:
    """The stored facts the model knows, typed for scoring.

    A value that no longer fits (after a model changed a field's type or range) is
    left out of the score rather than failing the account; it stays stored.
    """
    facts: dict[str, FactValue] = {}
    for name, value in stored.items():
        field = model.fields.get(name)
        if field is None or value is None:
            continue
        try:
            facts[name] = parse_value(field, value)
        except ValueError:
            continue
    return facts


def columns(model: CompiledModel, stored_rows: Sequence[Stored]) -> dict[str, list[Any]]:
    """Many accounts' stored facts as the columns bulk scoring reads."""
    return columns_from_rows(model, [decode(model, row) for row in stored_rows])


def validate(model: CompiledModel, raw: Mapping[str, object], today: date) -> dict[str, Any]:
    """Check typed-in facts against the model; InvalidInput lists every problem."""
    try:
        return validate_facts(model, raw, today=today, source="facts")
    except FactsError as error:
        raise InvalidInput(error.source, error.problems) from None


def merge(stored: Stored, changes: Mapping[str, FactValue | None]) -> dict[str, Any]:
    """Stored facts with ``changes`` applied; None removes a fact."""
    merged = dict(stored)
    for name, value in changes.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged.update(facts_to_json({name: value}))
    return merged


def differences(model: CompiledModel, before: Stored, after: Stored) -> Changes:
    """Facts whose value differs, as field -> (old, new), in the model's field order."""
    old, new = decode(model, before), decode(model, after)
    return {
        name: (old.get(name), new.get(name))
        for name in model.fields
        if old.get(name) != new.get(name)
    }


def unknown_tier(model: CompiledModel, tier: str) -> InvalidInput:
    known = ", ".join(model.tier_names)
    return InvalidInput("tier", [Problem("tier", f"unknown tier {tier!r} (tiers: {known})")])
