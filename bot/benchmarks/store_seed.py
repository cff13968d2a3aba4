"""Fill a throwaway database with a million scored accounts in a minute or two.

Like :func:`bot.benchmarks.seed.seed_accounts` (the same synthetic facts; names from
:mod:`bot.benchmarks.names`), but the facts are turned into JSON text column by column
and the rows go to the driver in one executemany per batch, so Python spends a few
microseconds per account instead of the tens that building ORM inserts costs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from sqlalchemy import Table

from bot.app import App
from bot.benchmarks.names import company_names
from bot.benchmarks.synthetic import synthetic_columns
from bot.service.bulk import JsonText, insert_many, json_object_texts
from bot.service.columns import completeness
from bot.service.imports import CREATED_COLUMNS
from bot.store.enums import LifecycleStage
from bot.store.tables import Account
from scoring import CompiledModel, FieldDef, score_columns
from scoring.spec import FieldType

BATCH = 10_000
_ACCOUNTS = cast(Table, Account.__table__)


async def seed_store(
    app: App,
    count: int,
    *,
    seed: int = 7,
    names: Callable[[int, int], list[str]] = company_names,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Insert ``count`` scored accounts named ``names(0, count)``."""
    model = await app.service.active_model()
    today, now = app.clock.now().date(), app.clock.now().astimezone(UTC)
    for start in range(0, count, BATCH):
        size = min(BATCH, count - start)
        columns = synthetic_columns(model, size, seed=seed + start, today=today)
        scores = score_columns(model, columns, today=today)
        facts = _facts_texts(model, columns, size)
        subs = json_object_texts({k: v.tolist() for k, v in scores.sub_scores.items()})
        known = completeness(model, columns, size)
        tiers = scores.tiers()
        named = names(start, size)
        rows = [
            (
                f"SEED-{start + i:07d}",
                named[i],
                None,  # no owner
                JsonText("[]"),
                LifecycleStage.PROSPECT,
                facts[i],
                total,
                subs[i],
                tiers[i],
                tiers[i],
                now,
                model.name,
                model.version,
                known[i],
                now,
                now,
                1,
            )
            for i, total in enumerate(scores.total.tolist())
        ]
        async with app.database.session() as session:
            await insert_many(session, _ACCOUNTS, CREATED_COLUMNS, rows)
            await session.commit()
        if progress is not None:
            progress(start + size)
    await app.service.reindex_names()  # once for the whole load, not per batch
    await app.service.tidy_name_index(thorough=True)  # as an import of this size does


def _facts_texts(model: CompiledModel, columns: dict[str, Any], rows: int) -> list[JsonText]:
    """Each account's facts as the JSON object ``facts_to_json`` would store (no nulls)."""
    parts = [_fragments(field, columns[name]) for name, field in model.fields.items()]
    return [JsonText("{" + ", ".join(filter(None, row)) + "}") for row in zip(*parts, strict=True)]


def _fragments(field: FieldDef, column: npt.NDArray[Any]) -> list[str | None]:
    key = json.dumps(field.name) + ": "
    if field.type is FieldType.CHOICE:
        texts = [key + json.dumps(choice) for choice in field.choices]
        return [texts[code] if code >= 0 else None for code in column.tolist()]
    if field.type is FieldType.DATE:
        days = np.datetime_as_string(column, unit="D").tolist()
        return [None if day == "NaT" else f'{key}"{day}"' for day in days]
    if field.type is FieldType.BOOLEAN:
        return [None if v != v else key + ("true" if v else "false") for v in column.tolist()]
    return [None if v != v else key + repr(v) for v in column.tolist()]
