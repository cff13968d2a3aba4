"""Manager overrides (and their expiry), and undo walking changes back one at a time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.service import (
    Actor,
    InvalidInput,
    NothingToUndo,
    PermissionDenied,
    TieringService,
    UndoConflict,
)
from bot.service.import_checks import ImportRow
from bot.store.db import Database
from bot.store.enums import ScoreCause
from bot.store.tables import AuditEntry, OutboxMessage
from bot.testing.builders import B_FACTS, B_TO_A, Team, add_team, row_counts, service_for
from bot.testing.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def service(database: Database, clock: FakeClock) -> TieringService:
    return service_for(database, clock, alert_routes={"A": ["slack-channel:C0KEY"]})


@pytest.fixture
async def team(service: TieringService) -> Team:
    return await add_team(service)


@pytest.fixture
async def account_id(service: TieringService, team: Team) -> int:
    card = await service.create_account(
        team.actor(team.rep), "Acme Corporation", facts=B_FACTS, notify=False
    )
    return card.account.id


async def test_reps_cannot_override_and_bad_overrides_change_nothing(
    service: TieringService, team: Team, account_id: int, database: Database, clock: FakeClock
) -> None:
    before = await row_counts(database)
    manager = team.actor(team.manager)

    with pytest.raises(PermissionDenied) as caught:
        await service.override(team.actor(team.rep), account_id, "A", "key logo", until=None)
    assert caught.value.reason == "managers_only"
    with pytest.raises(InvalidInput):
        await service.override(manager, account_id, "S", "key logo", until=None)
    with pytest.raises(InvalidInput):
        await service.override(manager, account_id, "A", "   ", until=None)
    with pytest.raises(InvalidInput):
        await service.override(manager, account_id, "A", "key logo", until=clock.now())

    assert await row_counts(database) == before


async def test_a_manager_override_shows_at_once_and_expires_with_cause_expiry(
    service: TieringService, team: Team, account_id: int, database: Database, clock: FakeClock
) -> None:
    until = clock.now() + timedelta(days=30)

    card = await service.override(
        team.actor(team.manager), account_id, "a", "Strategic logo", until=until
    )

    assert (card.account.tier, card.account.scored_tier, card.account.override_tier) == (
        "A",
        "B",
        "A",
    )
    assert card.recent_changes[0].cause is ScoreCause.OVERRIDE
    assert card.recent_changes[0].reasons == ("Strategic logo",)
    assert await service.expire_overrides() == 0

    clock.advance(days=31)
    assert await service.expire_overrides() == 1

    history = await service.history(account_id)
    assert [(h.old_tier, h.new_tier, h.cause) for h in history[:2]] == [
        ("A", "B", ScoreCause.EXPIRY),
        ("B", "A", ScoreCause.OVERRIDE),
    ]
    card = await service.card(account_id)
    assert (card.account.tier, card.account.override_tier) == ("B", None)
    async with database.session() as session:
        expired = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == "override_expired")
        )
        alerts = (await session.scalars(select(OutboxMessage.recipient))).all()
    assert expired is not None
    assert expired.actor_label == "system"
    # Into A and back out of it: the A channel hears both, the owner too.
    assert sorted(alerts) == sorted(["slack-channel:C0KEY", "slack:U0RAVI", "telegram:1001"] * 2)


async def test_while_overridden_fact_updates_rescore_without_moving_the_tier(
    service: TieringService, team: Team, account_id: int
) -> None:
    await service.override(team.actor(team.manager), account_id, "C", "On hold", until=None)

    outcome = await service.update_facts(team.actor(team.rep), account_id, B_TO_A)
    assert (outcome.card.account.tier, outcome.card.account.scored_tier) == ("C", "A")
    assert not outcome.tier_changed

    cleared = await service.clear_override(team.actor(team.manager), account_id)
    assert cleared.account.tier == "A"


async def test_undo_walks_back_one_change_at_a_time_then_has_nothing_left(
    service: TieringService, team: Team, account_id: int
) -> None:
    rep, manager = team.actor(team.rep), team.actor(team.manager)
    await service.update_facts(rep, account_id, {"referrals": 2})
    await service.update_facts(rep, account_id, B_TO_A)
    await service.override(manager, account_id, "C", "On hold", until=None)

    with pytest.raises(PermissionDenied):
        await service.undo_last(rep, account_id)  # an override needs a manager to undo
    first = await service.undo_last(manager, account_id)
    assert first.undone_action == "override"
    assert (first.card.account.tier, first.card.account.override_tier) == ("A", None)

    second = await service.undo_last(rep, account_id)
    assert second.undone_action == "update_facts"
    assert second.card.account.tier == "B"
    assert second.card.facts["cumulative_revenue"] == 6_000_000
    assert second.card.facts["referrals"] == 2
    assert second.card.recent_changes[0].cause is ScoreCause.UNDO

    third = await service.undo_last(rep, account_id)
    assert "referrals" not in third.card.facts
    assert third.card.result.total == pytest.approx(65.75)

    with pytest.raises(NothingToUndo):
        await service.undo_last(rep, account_id)


async def test_undo_never_overwrites_what_an_import_changed_since(
    service: TieringService, team: Team, database: Database
) -> None:
    rep = team.actor(team.rep)
    card = await service.create_account(
        rep, "Kovira Foods", facts=B_FACTS, external_id="K-1", notify=False
    )
    await service.update_facts(rep, card.account.id, {"revenue_growth": "10%", "referrals": 1})
    crm = ImportRow(2, {"external_id": "K-1", "name": "Kovira Foods", "revenue_growth": "35%"})
    await service.import_accounts(Actor.cli(), [crm], source="crm.csv")
    before = await row_counts(database)

    with pytest.raises(UndoConflict) as caught:
        await service.undo_last(rep, card.account.id)

    assert (caught.value.facts, caught.value.by) == (("revenue_growth",), "cli")
    assert await row_counts(database) == before
    kept = await service.card(card.account.id)
    assert (kept.facts["revenue_growth"], kept.facts["referrals"]) == (35, 1)
