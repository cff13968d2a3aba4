"""Updating facts: validation, permissions, history, audit, alerts, and optimistic locking."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.service import (
    Actor,
    EditConflict,
    InvalidInput,
    PermissionDenied,
    TieringService,
)
from bot.store.db import Database
from bot.store.enums import OutboxKind, ScoreCause
from bot.store.tables import AuditEntry, OutboxMessage
from bot.testing.builders import B_FACTS, B_TO_A, Team, add_team, row_counts, service_for

ROUTES = {"A": ["slack-channel:C0KEY"], "B": ["telegram-chat:-100123", "slack-channel:C0KEY"]}


@pytest.fixture
async def service(database: Database) -> TieringService:
    return service_for(database, alert_routes=ROUTES)


@pytest.fixture
async def team(service: TieringService) -> Team:
    return await add_team(service)


@pytest.fixture
async def account_id(service: TieringService, team: Team) -> int:
    card = await service.create_account(
        Actor.cli(), "Acme Corporation", facts=B_FACTS, owner_id=team.rep.id, notify=False
    )
    return card.account.id


async def _outbox(database: Database) -> list[OutboxMessage]:
    async with database.session() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_an_update_that_moves_the_tier_writes_history_audit_change_and_alerts(
    service: TieringService, team: Team, account_id: int, database: Database
) -> None:
    before = await row_counts(database)

    outcome = await service.update_facts(team.actor(team.rep), account_id, B_TO_A)

    assert (outcome.old_tier, outcome.card.account.tier, outcome.tier_changed) == ("B", "A", True)
    assert outcome.changed["cumulative_revenue"] == (6_000_000, 12_000_000)
    assert outcome.card.account.version == 2
    after = await row_counts(database)
    assert {table: after[table] - before[table] for table in after} == {
        "audit_log": 1,
        "score_history": 1,
        "tier_changes": 1,
        "outbox": 4,  # the owner on Slack and Telegram, plus both tiers' channels (once each)
    }
    change = outcome.card.recent_changes[0]
    assert (change.old_tier, change.new_tier, change.cause) == ("B", "A", ScoreCause.UPDATE)
    assert change.actor_name == "Ravi Rep"
    assert change.reasons[:2] == (
        "Revenue growth (year on year): 40% (+6.0)",
        "Cumulative revenue: 12,000,000 CNY (+5.0)",
    )
    alerts = {m.recipient: m for m in await _outbox(database)}
    assert set(alerts) == {
        "slack:U0RAVI",
        "telegram:1001",
        "slack-channel:C0KEY",
        "telegram-chat:-100123",
    }
    payload = alerts["telegram:1001"].payload
    assert payload["type"] == "tier_change"
    assert (payload["old_tier"], payload["new_tier"], payload["language"]) == ("B", "A", "en")
    assert payload["actor"] == "Ravi Rep"
    assert payload["reasons"] == list(change.reasons)
    assert len(payload["next_steps"]) == 2
    assert payload["next_steps"][0]["zh"].startswith("每季度")
    assert alerts["slack-channel:C0KEY"].payload["language"] is None
    dedupe = alerts["slack:U0RAVI"].dedupe_key
    assert dedupe == f"tier_change:{payload['tier_change_id']}:slack:U0RAVI"


async def test_a_failure_while_queueing_alerts_rolls_the_whole_update_back(
    service: TieringService, team: Team, account_id: int, database: Database
) -> None:
    # The creation wrote tier change 1, so the update's would be 2; its alert key is taken.
    async with database.session() as session:
        session.add(
            OutboxMessage(
                kind=OutboxKind.ALERT,
                recipient="slack:U0RAVI",
                payload={},
                dedupe_key="tier_change:2:slack:U0RAVI",
            )
        )
        await session.commit()
    before = await row_counts(database)

    with pytest.raises(IntegrityError):
        await service.update_facts(team.actor(team.rep), account_id, B_TO_A)

    assert await row_counts(database) == before
    card = await service.card(account_id)
    assert (card.account.tier, card.account.version) == ("B", 1)


async def test_bad_values_are_all_reported_and_nothing_is_written(
    service: TieringService, team: Team, account_id: int, database: Database
) -> None:
    before = await row_counts(database)

    with pytest.raises(InvalidInput) as caught:
        await service.update_facts(
            team.actor(team.rep),
            account_id,
            {"orders_per_year": -3, "revenu": "1M", "company_size": "huge", "referrals": 2},
        )

    assert {p.path for p in caught.value.problems} == {"orders_per_year", "revenu", "company_size"}
    assert "did you mean 'revenue_growth'" in str(caught.value) or "revenu" in str(caught.value)
    assert await row_counts(database) == before
    card = await service.card(account_id)
    assert (card.account.version, card.facts["orders_per_year"]) == (1, 6)


async def test_an_empty_value_clears_a_fact_and_an_unchanged_value_writes_nothing(
    service: TieringService, team: Team, account_id: int, database: Database
) -> None:
    cleared = await service.update_facts(team.actor(team.rep), account_id, {"profit_margin": ""})
    assert "profit_margin" not in cleared.card.facts
    assert cleared.changed == {"profit_margin": (15.0, None)}

    before = await row_counts(database)
    same = await service.update_facts(team.actor(team.rep), account_id, {"orders_per_year": "6"})
    assert same.changed == {}
    assert await row_counts(database) == before


async def test_reps_update_only_their_own_accounts_unless_everyone_may(
    service: TieringService, team: Team, account_id: int, database: Database
) -> None:
    with pytest.raises(PermissionDenied) as caught:
        await service.update_facts(team.actor(team.other_rep), account_id, {"referrals": 1})
    assert caught.value.reason == "not_owner"

    await service.update_facts(team.actor(team.manager), account_id, {"referrals": 1})
    open_team = service_for(database, reps_update_all=True)
    outcome = await open_team.update_facts(team.actor(team.other_rep), account_id, {"referrals": 2})
    assert outcome.card.account.version == 3


async def test_a_stale_expected_version_is_refused_naming_what_changed_and_who(
    service: TieringService, team: Team, account_id: int, database: Database
) -> None:
    seen = (await service.card(account_id)).account.version
    await service.update_facts(team.actor(team.manager), account_id, {"orders_per_year": 9})
    before = await row_counts(database)

    with pytest.raises(EditConflict) as caught:
        await service.update_facts(
            team.actor(team.rep), account_id, {"referrals": 1}, expected_version=seen
        )

    assert caught.value.changed == {"orders_per_year": (6, 9)}
    assert caught.value.by == "Mia Manager"
    assert await row_counts(database) == before
    current = (await service.card(account_id)).account.version
    fresh = await service.update_facts(
        team.actor(team.rep), account_id, {"referrals": 1}, expected_version=current
    )
    assert fresh.card.facts["referrals"] == 1


async def test_concurrent_updates_of_one_account_all_land(
    service: TieringService, team: Team, account_id: int, database: Database
) -> None:
    changes = {"orders_per_year": 7, "profit_margin": 12, "referrals": 1, "revenue_growth": 25}
    rep = team.actor(team.rep)

    await asyncio.gather(
        *(service.update_facts(rep, account_id, {name: value}) for name, value in changes.items())
    )

    card = await service.card(account_id)
    assert {name: card.facts[name] for name in changes} == changes
    assert card.account.version == 1 + len(changes)
    async with database.session() as session:
        updates = await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "update_facts")
        )
        assert len(updates.all()) == len(changes)


async def test_an_owner_with_alerts_off_gets_none_but_the_tier_channels_do(
    service: TieringService, team: Team, account_id: int, database: Database
) -> None:
    await service.update_preferences(team.actor(team.rep), alerts_enabled=False)

    await service.update_facts(team.actor(team.rep), account_id, B_TO_A)

    recipients = [m.recipient for m in await _outbox(database)]
    assert sorted(recipients) == ["slack-channel:C0KEY", "telegram-chat:-100123"]


async def test_marking_an_account_reviewed_records_when_and_who(
    service: TieringService, team: Team, account_id: int, database: Database
) -> None:
    summary = await service.mark_reviewed(team.actor(team.rep), account_id)

    assert summary.last_reviewed_at is not None
    async with database.session() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "mark_reviewed"))
    assert entry is not None
    assert (entry.actor_label, entry.channel.value) == ("slack:U0RAVI", "slack")
    with pytest.raises(PermissionDenied):
        await service.mark_reviewed(team.actor(team.other_rep), account_id)


async def test_new_accounts_are_validated_scored_audited_and_owned_by_their_creator(
    service: TieringService, team: Team, account_id: int
) -> None:
    rep = team.actor(team.rep)
    card = await service.create_account(rep, "  Initech  ", facts={"company_size": "large"})
    assert (card.account.name, card.account.owner_id) == ("Initech", team.rep.id)
    assert card.account.tier == "C"

    with pytest.raises(InvalidInput):
        await service.create_account(rep, "  ")
    with pytest.raises(InvalidInput):
        await service.create_account(rep, "Initech", facts={"company_size": "galactic"})
    with pytest.raises(PermissionDenied):
        await service.create_account(rep, "Umbrella", owner_id=team.other_rep.id)
    await service.create_account(rep, "Umbrella", external_id="CRM-1")
    with pytest.raises(InvalidInput):
        await service.create_account(rep, "Umbrella 2", external_id="CRM-1")
