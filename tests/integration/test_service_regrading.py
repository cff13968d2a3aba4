"""Re-grading as time passes: dated facts age, and the stored tiers follow them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.model_files import read_model_text
from bot.service import TieringService, rescoring
from bot.service.actor import Actor
from bot.service.errors import PermissionDenied
from bot.service.regrading import ages
from bot.store.db import Database
from bot.store.enums import OutboxKind, ScoreCause
from bot.store.tables import Account, AuditEntry, OutboxMessage, ScoreHistory, TierChange
from bot.testing.builders import A_FACTS, Team, add_team, service_for
from bot.testing.clock import FakeClock
from scoring import CompiledModel, load_model, score, validate_facts

DEFAULT, _ = read_model_text("default")
# Growth weighs 30 instead of 40: every account with growth below the top scores otherwise.
REWEIGHED = DEFAULT.replace("version: 1", "version: 2", 1).replace(
    "  - field: revenue_growth\n    sub_score: potential\n    weight: 40",
    "  - field: revenue_growth\n    sub_score: potential\n    weight: 30",
)
# 79.0 (A) on 2026-03-02, its last order a month before; 76.6 (still A) three months on,
# when that order is over 90 days old; 71.0 (B) a year on, when it is over 365 days old.
AGING_A = {**A_FACTS, "cumulative_revenue": "8M", "revenue_growth": "5%"}
THREE_MONTHS_ON = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
A_YEAR_ON = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def service(database: Database, clock: FakeClock) -> TieringService:
    return service_for(database, clock)


@pytest.fixture
async def team(service: TieringService) -> Team:
    return await add_team(service)


def validated(model: CompiledModel, facts: dict[str, Any]) -> dict[str, Any]:
    return validate_facts(model, facts, today=FakeClock().now().date(), source="facts")


async def _create(service: TieringService, team: Team, facts: dict[str, Any]) -> int:
    card = await service.create_account(team.actor(team.rep), "Kovira Foods", facts=facts)
    return card.account.id


async def _account(database: Database, account_id: int) -> Any:
    async with database.session() as session:
        query = select(
            Account.score,
            Account.tier,
            Account.version,
            Account.updated_at,
            Account.tier_since,
            Account.model_version,
        ).where(Account.id == account_id)
        return (await session.execute(query)).one()


async def _rows(database: Database, *columns: Any) -> list[Any]:
    async with database.session() as session:
        return list((await session.execute(select(*columns))).all())


async def test_a_score_that_aged_is_written_with_its_history_and_no_tier_change(
    service: TieringService, team: Team, database: Database, clock: FakeClock
) -> None:
    account = await _create(service, team, AGING_A)
    before = await _account(database, account)
    assert (before.score, before.tier) == (pytest.approx(79.0), "A")
    clock.set(THREE_MONTHS_ON)

    tally = await service.regrade(Actor.system())

    after = await _account(database, account)
    assert (after.score, after.tier) == (pytest.approx(76.6), "A")
    assert after.version == before.version + 1
    assert after.tier_since == before.tier_since
    assert (tally.accounts, tally.rescored, tally.changed) == (1, 1, 0)
    history = await _rows(database, ScoreHistory.cause, ScoreHistory.score)
    assert (ScoreCause.AGING, pytest.approx(76.6)) in [tuple(row) for row in history]
    assert await _rows(database, TierChange.cause) == [(ScoreCause.UPDATE,)]  # its creation


async def test_an_account_whose_last_order_grew_old_drops_a_tier_with_reasons_and_an_alert(
    service: TieringService, team: Team, database: Database, clock: FakeClock
) -> None:
    account = await _create(service, team, AGING_A)
    clock.set(A_YEAR_ON)

    tally = await service.regrade(Actor.system())

    assert (tally.changed, tally.up, tally.down) == (1, 0, 1)
    after = await _account(database, account)
    assert (after.score, after.tier, after.tier_since) == (pytest.approx(71.0), "B", A_YEAR_ON)
    [change] = await _changes(database, ScoreCause.AGING)
    assert (change.old_tier, change.new_tier) == ("A", "B")
    assert change.reasons == [
        "Time passed: Last order 2026-02-01 (0/40)",
        "Score 79.0 -> 71.0",
    ]
    alerts = await _rows(database, OutboxMessage.kind, OutboxMessage.recipient)
    assert (OutboxKind.ALERT, "slack:U0RAVI") in [tuple(row) for row in alerts]
    async with database.session() as session:
        [audit] = (
            await session.scalars(select(AuditEntry.after).where(AuditEntry.action == "regrade"))
        ).all()
    assert audit == {
        "as_of": "2027-03-01",
        "accounts": 1,
        "rescored": 1,
        "changed": 1,
        "up": 0,
        "down": 1,
    }


async def _changes(database: Database, cause: ScoreCause) -> list[Any]:
    async with database.session() as session:
        query = select(TierChange.old_tier, TierChange.new_tier, TierChange.reasons).where(
            TierChange.cause == cause
        )
        return list((await session.execute(query)).all())


async def test_accounts_time_did_not_move_are_left_as_they_were(
    service: TieringService, team: Team, database: Database, clock: FakeClock
) -> None:
    undated = {key: value for key, value in AGING_A.items() if key != "last_order_date"}
    account = await _create(service, team, undated)
    before = await _account(database, account)
    clock.set(A_YEAR_ON)

    tally = await service.regrade(Actor.system())

    assert (tally.accounts, tally.rescored) == (1, 0)
    assert await _account(database, account) == before


async def test_a_band_crossed_a_second_time_only_is_written_once(
    service: TieringService, team: Team, database: Database, clock: FakeClock
) -> None:
    await _create(service, team, AGING_A)
    clock.set(THREE_MONTHS_ON)
    await service.regrade(Actor.system())

    again = await service.regrade(Actor.system())

    assert again.rescored == 0
    history = await _rows(database, ScoreHistory.cause)
    assert [row.cause for row in history].count(ScoreCause.AGING) == 1


async def test_the_daily_regrade_runs_once_a_day_however_many_replicas_ask(
    service: TieringService, team: Team, database: Database, clock: FakeClock
) -> None:
    await _create(service, team, AGING_A)
    replicas = [service_for(database, clock) for _ in range(3)]
    clock.set(THREE_MONTHS_ON)

    today = await asyncio.gather(
        *(replica.regrade_once_today(f"replica-{i}") for i, replica in enumerate(replicas))
    )
    later_today = await replicas[0].regrade_once_today("replica-0")
    clock.advance(days=1)
    tomorrow = await replicas[1].regrade_once_today("replica-1")

    assert sum(tally is not None for tally in today) == 1
    assert later_today is None
    assert tomorrow is not None
    assert tomorrow.accounts == 1


async def test_only_admins_and_the_system_may_regrade(
    service: TieringService, team: Team
) -> None:
    with pytest.raises(PermissionDenied):
        await service.regrade(team.actor(team.manager))


async def test_a_regrade_never_overwrites_what_a_newer_model_scored_meanwhile(
    service: TieringService,
    team: Team,
    database: Database,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    account = await _create(service, team, AGING_A)
    clock.set(A_YEAR_ON)
    read = rescoring._read
    activated = False

    async def read_then_activate(*args: Any, **kwargs: Any) -> Any:
        """The regrade reads its batch; an admin activates a new model before it writes."""
        nonlocal activated
        batch = await read(*args, **kwargs)
        if not activated:
            activated = True
            await service.activate_model(Actor.cli(), REWEIGHED, "reweighed.yaml")
        return batch

    monkeypatch.setattr(rescoring, "_read", read_then_activate)

    tally = await service.regrade(Actor.system())

    assert tally.rescored == 0
    after = await _account(database, account)
    assert after.model_version == 2
    newer = load_model(REWEIGHED, "reweighed.yaml")
    today = clock.now().date()
    as_of_today = score(newer, validated(newer, AGING_A), previous_tier="A", today=today)
    assert after.score == pytest.approx(as_of_today.total) != pytest.approx(71.0)
    assert await _changes(database, ScoreCause.AGING) == []


def test_only_models_that_read_a_date_can_age() -> None:
    assert ages(load_model(DEFAULT, "default.yaml"))
    for name in ("prospect", "five_grade", "quadrant"):
        assert not ages(load_model(read_model_text(name)[0], name)), name
