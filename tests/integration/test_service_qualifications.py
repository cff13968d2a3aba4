"""A prospect's qualification is kept with its account, beside the tier."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.service import PermissionDenied, TieringService
from bot.service.qualifications import QualifiedProspect
from bot.store.db import Database
from bot.store.tables import Account, AuditEntry
from bot.testing.builders import B_FACTS, Team, add_team, service_for
from bot.testing.clock import FakeClock
from scoring import LocalText

WITHIN_3_MONTHS = QualifiedProspect(
    grade="A",
    label=LocalText.of({"en": "within 3 months", "zh": "3个月内"}),
    model="prospect v1",
    answers={"digitised": True, "current_system": "replacing"},
)


@pytest.fixture
async def service(database: Database) -> TieringService:
    return service_for(database, FakeClock())


@pytest.fixture
async def team(service: TieringService) -> Team:
    return await add_team(service)


async def _accounts(database: Database) -> int:
    async with database.session() as session:
        return await session.scalar(select(func.count()).select_from(Account)) or 0


async def test_a_new_prospect_is_saved_with_its_grade_on_its_card(
    service: TieringService, team: Team, database: Database
) -> None:
    saved = await service.save_qualification(
        team.actor(team.rep), "Kovira Robotics", WITHIN_3_MONTHS
    )

    assert saved.created
    qualified = saved.card.qualification
    assert qualified is not None
    assert (qualified.grade, qualified.label.get("zh")) == ("A", "3个月内")
    assert qualified.by == "Ravi Rep"
    again = await service.named_card("kovira robotics")
    assert again.qualification == qualified
    assert again.account.owner_id == team.rep.id


async def test_qualifying_an_existing_account_adds_the_grade_to_it_not_a_second_account(
    service: TieringService, team: Team, database: Database
) -> None:
    rep = team.actor(team.rep)
    card = await service.create_account(rep, "Acme Corporation", facts=B_FACTS)
    before = await _accounts(database)

    saved = await service.save_qualification(rep, "Acme Corporation", WITHIN_3_MONTHS)

    assert not saved.created
    assert saved.card.account.id == card.account.id
    assert saved.card.account.tier == card.account.tier  # the value grade is its own
    assert await _accounts(database) == before
    async with database.session() as session:
        [entry] = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "qualify"))
        ).all()
    assert entry.before == {"qualification": None}
    assert entry.after is not None
    assert entry.after["qualification"]["grade"] == "A"


async def test_a_rep_cannot_qualify_someone_elses_account(
    service: TieringService, team: Team
) -> None:
    await service.create_account(team.actor(team.rep), "Acme Corporation")

    with pytest.raises(PermissionDenied):
        await service.save_qualification(
            team.actor(team.other_rep), "Acme Corporation", WITHIN_3_MONTHS
        )

    assert (await service.named_card("Acme Corporation")).qualification is None
