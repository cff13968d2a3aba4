"""What keeps ``tierbot bench store`` honest: its plain-SQL scoring is the scorer's, and the
bulk decoding that rescoring relies on reads stored facts exactly as one-by-one decoding."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select, text

from bot.app import running_app
from bot.benchmarks.sql_scoring import update_statement
from bot.benchmarks.store_bench import changed_model_text
from bot.benchmarks.store_seed import seed_store
from bot.model_files import open_model
from bot.service import facts as stored_facts
from bot.service.columns import stored_columns
from bot.settings import load_settings
from bot.store.tables import Account
from bot.testing.databases import sqlite_url
from scoring import score_columns
from scoring.bulk import column_for

SEEDED = 400


async def sql_and_python_scores(url: str, model_name: str, *, changed: bool) -> tuple[Any, Any]:
    """Scores of every seeded account: by the plain UPDATE (rolled back) and by Python."""
    async with running_app(load_settings(database_url=url, model=model_name)) as app:
        await seed_store(app, SEEDED)
        model = await app.service.active_model()
        if changed:
            model = app.service.compile_model(changed_model_text(), "changed.yaml")
        today = app.clock.now().date()
        by_id = select(Account.facts, Account.scored_tier, Account.score).order_by(Account.id)
        async with app.database.session() as session:
            stored = (await session.execute(by_id)).all()
            await session.execute(text(update_statement(model, app.database.dialect, today)))
            by_sql = (await session.execute(by_id)).all()
            await session.rollback()
    columns = stored_facts.columns(model, [row.facts for row in stored])
    previous = [row.scored_tier for row in stored]
    return by_sql, score_columns(model, columns, previous_tiers=previous, today=today)


@pytest.mark.parametrize("model_name", ["default", "five_grade", "prospect", "quadrant"])
async def test_the_plain_sql_update_scores_every_shipped_model_exactly_like_python(
    tmp_path: Path, model_name: str
) -> None:
    by_sql, by_python = await sql_and_python_scores(sqlite_url(tmp_path), model_name, changed=False)

    assert [row.score for row in by_sql] == list(by_python.total)
    assert [row.scored_tier for row in by_sql] == by_python.tiers()


async def test_the_benchmarks_changed_model_scores_alike_in_sql_and_python(
    database_url: str,
) -> None:
    by_sql, by_python = await sql_and_python_scores(database_url, "default", changed=True)

    assert np.allclose([row.score for row in by_sql], by_python.total, rtol=0, atol=1e-9)
    assert [row.scored_tier for row in by_sql] == by_python.tiers()
    assert len(set(by_python.tiers())) == 3  # every tier, and hysteresis, is exercised


ODD_FACTS: list[dict[str, Any]] = [
    {},
    {"cumulative_revenue": 1200000, "orders_per_year": 12.0, "company_size": "large"},
    {"cumulative_revenue": "1.2M", "avg_order_value": "350k", "profit_margin": "35%"},
    {"cumulative_revenue": True, "orders_per_year": 2.5, "profit_margin": 250.0},
    {"cumulative_revenue": -5.0, "referrals": float("nan"), "revenue_growth": "lots"},
    {"company_size": "大型企业", "industry": "Finance", "credit_standing": "superb"},
    {"company_size": 1, "industry": None, "decision_chain": ["short"]},
    {"last_order_date": "2026-01-15", "credit_standing": "poor", "referrals": 2.0},
    {"last_order_date": "today", "decision_chain": "Short"},
    {"last_order_date": "2026-02-30", "referrals": 101.0},
    {"last_order_date": "20260115", "orders_per_year": "12"},
    {"last_order_date": 20260115, "company_size": "medium"},
]


@pytest.mark.parametrize("model_name", ["default", "quadrant"])
def test_stored_facts_decode_in_bulk_exactly_as_one_by_one(model_name: str) -> None:
    model = open_model(model_name)
    booleans = ({"expansion_plans": value} for value in (True, False, "yes", 1, "maybe", 2.5))
    rows = [*ODD_FACTS, *booleans]
    today = np.datetime64("2026-03-02", "D").astype(object)

    bulk = stored_columns(model, rows)
    one_by_one = stored_facts.columns(model, rows)

    for name, field in model.fields.items():
        fast = column_for(field, bulk[name], len(rows), today)
        slow = column_for(field, one_by_one[name], len(rows), today)
        assert np.array_equal(fast, slow, equal_nan=fast.dtype.kind == "f"), name
    assert not math.isnan(float(np.nansum(score_columns(model, bulk, today=today).total)))
