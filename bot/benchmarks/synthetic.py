"""Synthetic but plausible facts for any model, for benchmarks and demo data."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from scoring import CompiledModel, FactValue, FieldDef
from scoring.spec import FieldType

MISSING_SHARE = 0.05


def synthetic_columns(
    model: CompiledModel, rows: int, *, seed: int = 7, today: date | None = None
) -> dict[str, npt.NDArray[Any]]:
    """Columns in bulk-scoring form: floats with NaN, choice codes with -1, dates as datetime64."""
    rng = np.random.default_rng(seed)
    day = np.datetime64(today or date.today(), "D")
    columns = {}
    for name, field in model.fields.items():
        column = _column(field, rows, rng, day)
        missing = rng.random(rows) < MISSING_SHARE
        if field.type is FieldType.CHOICE:
            column = np.where(missing, -1, column)
        elif field.type is FieldType.DATE:
            column = np.where(missing, np.datetime64("NaT"), column)
        else:
            column = np.where(missing, np.nan, column)
        columns[name] = column
    return columns


def _column(
    field: FieldDef, rows: int, rng: np.random.Generator, day: np.datetime64
) -> npt.NDArray[Any]:
    low = field.min if field.min is not None else 0.0
    high = field.max
    if field.type is FieldType.CHOICE:
        return rng.integers(0, len(field.choices), rows)
    if field.type is FieldType.BOOLEAN:
        return (rng.random(rows) < 0.4).astype(np.float64)
    if field.type is FieldType.DATE:
        return day - rng.integers(0, 400, rows).astype("timedelta64[D]")
    if field.type is FieldType.MONEY:
        values = rng.lognormal(mean=14.5, sigma=1.3, size=rows)
    elif field.type is FieldType.PERCENT:
        values = rng.normal(12.0, 18.0, rows)
    elif field.type is FieldType.INTEGER:
        values = rng.poisson(4.0, rows).astype(np.float64)
    else:
        values = rng.uniform(low, high if high is not None else low + 100.0, rows)
    if field.type is FieldType.INTEGER:
        values = np.round(values)
    return np.clip(values, low, high if high is not None else np.inf)


def rows_from_columns(
    model: CompiledModel, columns: dict[str, npt.NDArray[Any]], count: int
) -> list[dict[str, FactValue]]:
    """The first ``count`` accounts as fact mappings (what one-by-one scoring takes)."""
    rows: list[dict[str, FactValue]] = []
    for i in range(count):
        facts: dict[str, FactValue] = {}
        for name, field in model.fields.items():
            value = _cell(field, columns[name][i])
            if value is not None:
                facts[name] = value
        rows.append(facts)
    return rows


def _cell(field: FieldDef, raw: Any) -> FactValue | None:
    if field.type is FieldType.CHOICE:
        return None if raw < 0 else field.choices[int(raw)]
    if field.type is FieldType.DATE:
        if np.isnat(raw):
            return None
        return date(1970, 1, 1) + timedelta(days=int(raw.astype("datetime64[D]").astype(np.int64)))
    if np.isnan(raw):
        return None
    return bool(raw) if field.type is FieldType.BOOLEAN else float(raw)
