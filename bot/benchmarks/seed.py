"""Fill a database with many scored accounts quickly, for benchmarks.

Accounts are scored in bulk with the active model and inserted with multi-row
INSERTs in batches, so a million accounts take seconds rather than the hours that
one use-case call per account would. Names are unique and look like real companies.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert

from bot.app import App
from bot.benchmarks.synthetic import rows_from_columns, synthetic_columns
from bot.store.tables import Account
from scoring import CompiledModel, facts_to_json, score_columns

BATCH = 5_000
_PREFIXES = (
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Hooli",
    "Vandelay",
    "华为",
    "阿里",
    "腾讯",
    "海尔",
    "美的",
    "格力",
    "比亚迪",
    "联想",
)
_SUFFIXES = (
    "Industries",
    "Logistics",
    "Energy",
    "Retail",
    "Health",
    "Finance",
    "Robotics",
    "制造",
    "物流",
    "能源",
    "零售",
    "医疗",
    "金融",
    "科技",
)


def company_name(i: int) -> str:
    """A unique, readable company name for account number ``i``."""
    prefix = _PREFIXES[i % len(_PREFIXES)]
    suffix = _SUFFIXES[(i // len(_PREFIXES)) % len(_SUFFIXES)]
    return f"{prefix} {suffix} {i:07d}"


async def seed_accounts(
    app: App,
    count: int,
    *,
    seed: int = 7,
    progress: Callable[[int], None] | None = None,
) -> list[str]:
    """Insert ``count`` scored accounts; return their names in insertion order."""
    model = await app.service.active_model()
    today = app.clock.now().date()
    now = app.clock.now()
    names: list[str] = []
    for start in range(0, count, BATCH):
        size = min(BATCH, count - start)
        columns = synthetic_columns(model, size, seed=seed + start, today=today)
        rows = _rows(model, columns, start, size, today, now)
        async with app.database.session() as session:
            await session.execute(insert(Account), rows)
            await session.commit()
        names.extend(row["name"] for row in rows)
        if progress is not None:
            progress(len(names))
    await app.service.reindex_names()  # once for the whole load, not per batch
    return names


def _rows(
    model: CompiledModel, columns: dict[str, Any], start: int, size: int, today: Any, now: datetime
) -> list[dict[str, Any]]:
    scores = score_columns(model, columns, today=today)
    tiers = scores.tiers()
    facts = rows_from_columns(model, columns, size)
    scored = model.scored_fields()
    return [
        {
            "external_id": f"SEED-{start + i:07d}",
            "name": company_name(start + i),
            "aliases": [],
            "facts": facts_to_json(facts[i]),
            "score": float(scores.total[i]),
            "sub_scores": {k: float(v[i]) for k, v in scores.sub_scores.items()},
            "tier": tiers[i],
            "scored_tier": tiers[i],
            "tier_since": now.astimezone(UTC),
            "model_name": model.name,
            "model_version": model.version,
            "completeness": 100.0 * sum(f in facts[i] for f in scored) / len(scored),
            "version": 1,
        }
        for i in range(size)
    ]
