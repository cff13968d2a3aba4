"""Rescoring every account on activation: what it writes, and what it must not overwrite."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AsyncExitStack
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select, text, update

from bot.model_files import open_model, read_model_text
from bot.service import TieringService, rescoring
from bot.service import facts as stored_facts
from bot.service.actor import Actor
from bot.service.columns import stored_columns
from bot.store.db import Database
from bot.store.enums import ScoreCause
from bot.store.tables import Account, ScoreHistory
from bot.testing.builders import A_FACTS, B_FACTS, C_FACTS, Team, add_team, service_for
from bot.testing.clock import FakeClock
from scoring import score_columns
from scoring.bulk import column_for

CLOCK = FakeClock()
DEFAULT, _ = read_model_text("default")
# A's bar from 75 to 95: the A account (91.5) drops to B, nothing else moves.
STRICTER = DEFAULT.replace("version: 1", "version: 2", 1).replace("min: 75", "min: 95", 1)
# Stored facts that are not what the model expects, as an older model or a CRM import
# may have left them: each must decode as a one-by-one decode would.
ODD_FACTS: list[dict[str, Any]] = [
    {},
    {"cumulative_revenue": 1200000, "orders_per_year": 12.0, "company_size": "large"},
    {"cumulative_revenue": "1.2M", "avg_order_value": "350k", "profit_margin": "35%"},
    {"cumulative_revenue": True, "orders_per_year": 2.5, "profit_margin": 250.0},
    {"cumulative_revenue": -5.0, "referrals": [1, 2], "revenue_growth": "lots"},
    {"company_size": "大型企业", "industry": "Finance", "credit_standing": "superb"},
    {"company_size": 1, "industry": None, "decision_chain": ["short"]},
    {"last_order_date": "2026-01-15", "credit_standing": {"grade": "poor"}, "referrals": 2.0},
    {"last_order_date": "today", "decision_chain": "Short", "referrals": 1e2},
    {"last_order_date": "2026-02-30", "orders_per_year": 1985932.6276368455},
    {"last_order_date": "20260115", "orders_per_year": "12", "revenue_growth": -0},
    {"last_order_date": 20260115, "company_size": "medium", "revenue_growth": False},
]


@pytest.fixture
async def service(database: Database) -> TieringService:
    return service_for(database, CLOCK)


@pytest.fixture
async def team(service: TieringService) -> Team:
    return await add_team(service)


async def _create(service: TieringService, team: Team, facts: Mapping[str, object]) -> int:
    rep = team.actor(team.rep)
    card = await service.create_account(rep, f"Account {facts}", facts=facts, notify=False)
    return card.account.id


async def _stored(database: Database) -> list[Any]:
    columns = (Account.id, Account.facts, Account.score, Account.scored_tier, Account.version)
    async with database.session() as session:
        return list((await session.execute(select(*columns).order_by(Account.id))).all())


def _scores_one_by_one(service: TieringService, rows: list[Any], held: list[Any]) -> Any:
    """Scores of ``rows`` under STRICTER, decoding each account's facts on its own."""
    model = service.compile_model(STRICTER, "stricter.yaml")
    columns = stored_facts.columns(model, [row.facts for row in rows])
    return score_columns(model, columns, previous_tiers=held, today=CLOCK.now().date())


async def test_a_concurrent_edit_during_activation_is_not_lost(
    service: TieringService, team: Team, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    apex = await _create(service, team, A_FACTS)  # moves from A to B: its batch writes it
    acme = await _create(service, team, B_FACTS)
    read = rescoring._read

    async def read_then_edit(*args: Any, **kwargs: Any) -> Any:
        """Reads a batch, then has a rep edit one of its accounts before it is written."""
        batch = await read(*args, **kwargs)
        if batch is not None and apex in batch.stored.id:
            await service.update_facts(team.actor(team.rep), apex, C_FACTS)
        return batch

    monkeypatch.setattr(rescoring, "_read", read_then_edit)
    held = [row.scored_tier for row in await _stored(database)]

    report = await service.activate_model(Actor.cli(), STRICTER, "stricter.yaml")

    assert report.accounts == 2
    rows = await _stored(database)
    assert [row.id for row in rows] == [apex, acme]
    assert rows[0].facts["cumulative_revenue"] == 300_000  # the edit is kept...
    assert rows[0].version == 3  # (created, edited, rescored)
    expected = _scores_one_by_one(service, rows, held)
    # ... and so are the scores of the edited facts, not those of the facts it replaced.
    assert [row.score for row in rows] == pytest.approx(list(expected.total), abs=1e-9)
    assert [row.scored_tier for row in rows] == ["C", "B"]


@pytest.mark.parametrize("arrow", [True, False], ids=["sqlite-arrow", "json_extract"])
async def test_activation_reads_odd_stored_facts_exactly_as_one_by_one_decoding(
    service: TieringService,
    team: Team,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    arrow: bool,
) -> None:
    if not arrow and database.dialect != "sqlite":
        pytest.skip("SQLite before 3.38 only")
    monkeypatch.setattr(rescoring, "_SQLITE_ARROW", arrow and rescoring._SQLITE_ARROW)
    for facts in (A_FACTS, B_FACTS, C_FACTS):
        await _create(service, team, facts)
    ids = [await _create(service, team, {}) for _ in ODD_FACTS]
    async with database.session() as session:
        for account_id, facts in zip(ids, ODD_FACTS, strict=True):
            await session.execute(
                update(Account).where(Account.id == account_id).values(facts=facts)
            )
        await session.commit()
    before = await _stored(database)

    await service.activate_model(Actor.cli(), STRICTER, "stricter.yaml")

    rows = await _stored(database)
    expected = _scores_one_by_one(service, before, [row.scored_tier for row in before])
    assert [row.score for row in rows] == pytest.approx(list(expected.total), abs=1e-9)
    assert [row.scored_tier for row in rows] == expected.tiers()
    assert [row.version for row in rows] == [row.version + 1 for row in before]


async def test_an_account_that_did_not_move_gets_a_new_version_but_no_history(
    service: TieringService, team: Team, database: Database
) -> None:
    await _create(service, team, A_FACTS)
    globex = await _create(service, team, C_FACTS)

    await service.activate_model(Actor.cli(), STRICTER, "stricter.yaml")

    async with database.session() as session:
        causes = (
            await session.scalars(
                select(ScoreHistory.cause).where(ScoreHistory.account_id == globex)
            )
        ).all()
        model, version = (
            await session.execute(
                select(Account.model_version, Account.version).where(Account.id == globex)
            )
        ).one()
    assert ScoreCause.MODEL_CHANGE not in causes
    assert (model, version) == (2, 2)


def test_stored_days_decode_in_bulk_exactly_as_one_by_one() -> None:
    model = open_model("default")
    field = model.fields["last_order_date"]
    today = np.datetime64("2026-03-02", "D").astype(object)
    columns = [
        ["2026-01-15", None, "2025-12-31", "0001-01-01"],
        ["2026-01-15", "2026-02-30"],  # a day the calendar does not have
        ["2026-01-15", "0000-01-01"],  # a year date.fromisoformat refuses
        ["2026-01-15", "2026-1-5", "2026-01-15T10:00"],
    ]
    for values in columns:
        rows = [{"last_order_date": value} for value in values]
        bulk = column_for(field, stored_columns(model, rows)["last_order_date"], len(rows), today)
        slow = stored_facts.columns(model, rows)["last_order_date"]
        one_by_one = column_for(field, slow, len(rows), today)
        assert np.array_equal(bulk, one_by_one, equal_nan=True), values


async def test_an_activation_on_sqlite_checkpoints_the_wal_rarely_not_after_each_batch(
    service: TieringService, team: Team, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    if database.dialect != "sqlite":
        pytest.skip("SQLite only")
    for facts in (A_FACTS, B_FACTS, C_FACTS):
        await _create(service, team, facts)
    monkeypatch.setattr(rescoring, "BATCH", 2)
    write = rescoring._write_batch
    during: list[int] = []

    async def look_then_write(sessions: Any, *args: Any) -> Any:
        async with sessions() as session:
            during.append(await session.scalar(text("PRAGMA wal_autocheckpoint")))
        return await write(sessions, *args)

    monkeypatch.setattr(rescoring, "_write_batch", look_then_write)

    await service.activate_model(Actor.cli(), STRICTER, "stricter.yaml")

    assert during == [rescoring.PASS_CHECKPOINT_PAGES] * 2
    async with AsyncExitStack() as stack:  # every connection in the pool, and then some
        connections = [await stack.enter_async_context(database.connection()) for _ in range(5)]
        after = [await c.scalar(text("PRAGMA wal_autocheckpoint")) for c in connections]
    assert after == [1000] * 5


async def test_an_activation_dates_a_tier_from_now_only_where_the_tier_moved(
    service: TieringService, team: Team, database: Database
) -> None:
    clock = FakeClock()
    service = service_for(database, clock)
    apex = await _create(service, team, A_FACTS)  # A to B under STRICTER
    acme = await _create(service, team, B_FACTS)  # stays B, its score unchanged
    chosen = await _create(service, team, C_FACTS)  # stays C
    async with database.session() as session:
        since = {
            row.id: row.tier_since
            for row in await session.execute(select(Account.id, Account.tier_since))
        }
    clock.advance(days=3)

    await service.activate_model(Actor.cli(), STRICTER, "stricter.yaml")

    async with database.session() as session:
        rows = {
            row.id: row
            for row in await session.execute(
                select(Account.id, Account.tier, Account.tier_since, Account.updated_at)
            )
        }
    assert rows[apex].tier == "B"
    assert rows[apex].tier_since == clock.now()
    for unmoved in (acme, chosen):
        assert rows[unmoved].tier_since == since[unmoved]
