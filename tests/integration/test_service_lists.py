"""Lists people ask for: accounts by tier, movers, reviews due, tier counts."""

from __future__ import annotations

import pytest

from bot.service import TieringService
from bot.store.db import Database
from bot.testing.builders import A_FACTS, B_FACTS, B_TO_A, C_FACTS, Team, add_team, service_for
from bot.testing.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def service(database: Database, clock: FakeClock) -> TieringService:
    return service_for(database, clock)


@pytest.fixture
async def team(service: TieringService) -> Team:
    team = await add_team(service)
    rep, other = team.actor(team.rep), team.actor(team.other_rep)
    await service.create_account(rep, "Acme", facts=B_FACTS)
    await service.create_account(rep, "Apex", facts=A_FACTS)
    await service.create_account(rep, "Acorn", facts={**B_FACTS, "referrals": 2})
    await service.create_account(rep, "Globex", facts=C_FACTS)
    await service.create_account(other, "Initech", facts=A_FACTS)
    return team


async def test_my_accounts_come_grouped_best_tier_first_highest_score_first(
    service: TieringService, team: Team
) -> None:
    grouped = await service.accounts_by_owner(team.rep.id)

    assert {tier: [a.name for a in accounts] for tier, accounts in grouped.items()} == {
        "A": ["Apex"],
        "B": ["Acorn", "Acme"],
        "C": ["Globex"],
    }
    assert list(grouped) == ["A", "B", "C"]
    assert await service.tier_distribution() == {"A": 2, "B": 2, "C": 1}
    assert await service.tier_distribution(owner_id=team.other_rep.id) == {"A": 1}


async def test_movers_lists_recent_tier_changes_newest_first_per_owner(
    service: TieringService, team: Team, clock: FakeClock
) -> None:
    since = clock.advance(days=1)
    acme = await service.resolve_account("acme")
    await service.update_facts(team.actor(team.rep), acme.id, B_TO_A)
    clock.advance(hours=1)
    initech = await service.resolve_account("initech")
    await service.update_facts(team.actor(team.other_rep), initech.id, C_FACTS)

    everyone = await service.movers(since)
    mine = await service.movers(since, owner_id=team.rep.id)

    assert [(m.account_name, m.old_tier, m.new_tier) for m in everyone] == [
        ("Initech", "A", "C"),
        ("Acme", "B", "A"),
    ]
    assert [m.account_name for m in mine] == ["Acme"]
    assert [h.new_tier for h in await service.history(acme.id)] == ["A", "B"]


async def test_reviews_are_due_after_the_models_interval_or_near_a_tier_boundary(
    service: TieringService, team: Team, clock: FakeClock
) -> None:
    assert [i.account.name for i in await service.review_list(team.rep.id)] == []
    # 65.75 is 5.75 above B's bar (60) plus the hysteresis (3): 8.75 points to spare.
    near = await service.review_list(team.rep.id, near_points=9)
    assert [i.account.name for i in near] == ["Acme"]
    assert near[0].margin_below == pytest.approx(8.75)

    clock.advance(days=91)
    acme = await service.resolve_account("acme")
    await service.mark_reviewed(team.actor(team.rep), acme.id)
    due = await service.review_list(team.rep.id)

    assert [(i.account.name, i.overdue_days) for i in due] == [
        ("Acorn", 1),
        ("Apex", 1),
        ("Globex", 1),
    ]
