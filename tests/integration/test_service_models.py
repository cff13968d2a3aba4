"""The model lifecycle: first install, preview of a new model's impact, activation."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from bot.model_files import read_model_text
from bot.service import InvalidInput, PermissionDenied, TieringService, rescoring
from bot.service.actor import Actor
from bot.store.db import Database
from bot.store.enums import ScoreCause
from bot.store.tables import Account, ModelVersion, OutboxMessage, TierChange
from bot.testing.builders import A_FACTS, B_FACTS, C_FACTS, Team, add_team, service_for

DEFAULT, _ = read_model_text("default")
# A's bar from 75 to 95: the A account (91.5) drops to B, nothing else moves.
STRICTER = DEFAULT.replace("version: 1", "version: 2", 1).replace("min: 75", "min: 95", 1)


@pytest.fixture
async def service(database: Database) -> TieringService:
    return service_for(database, alert_routes={"A": ["slack-channel:C0KEY"]})


@pytest.fixture
async def team(service: TieringService) -> Team:
    team = await add_team(service)
    rep = team.actor(team.rep)
    for name, facts in [("Apex", A_FACTS), ("Acme", B_FACTS), ("Globex", C_FACTS)]:
        await service.create_account(rep, name, facts=facts, notify=False)
    return team


async def test_the_configured_model_is_installed_once_and_compiled_once(
    database: Database,
) -> None:
    service = service_for(database)

    first = await service.active_model()
    again = await service.active_model()

    assert (first.name, first.version) == ("default", 1)
    assert again is first
    info = await service.model_info()
    assert (info.name, info.version, info.title) == ("default", 1, "Existing customers (A/B/C)")
    async with database.session() as session:
        rows = (await session.scalars(select(ModelVersion))).all()
    assert [(r.name, r.version, r.is_active) for r in rows] == [("default", 1, True)]


async def test_a_preview_counts_moves_changes_nothing_and_refuses_a_broken_model(
    service: TieringService, team: Team
) -> None:
    report = await service.preview_model(STRICTER, "stricter.yaml")

    assert (report.accounts, report.up, report.down, report.unchanged) == (3, 0, 1, 2)
    assert [(m.key, m.old_tier, m.new_tier) for m in report.moves] == [("Apex", "A", "B")]
    assert report.after == {"B": 2, "C": 1}
    assert (await service.model_info()).version == 1
    assert (await service.resolve_account("apex")).tier == "A"

    broken = DEFAULT.replace("weight: 30\n", "weight: lots\n", 1)
    with pytest.raises(InvalidInput) as caught:
        await service.preview_model(broken, "broken.yaml")
    assert caught.value.source == "broken.yaml"
    assert any("weight" in problem.path for problem in caught.value.problems)


async def test_activation_rescores_every_account_in_batches_and_records_the_changes(
    service: TieringService, team: Team, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rescoring, "BATCH", 2)
    seen: list[tuple[int, int]] = []

    report = await service.activate_model(
        Actor.cli(),
        STRICTER,
        "stricter.yaml",
        progress=lambda done, total: seen.append((done, total)),
    )

    assert (report.accounts, report.changed, report.up, report.down) == (3, 1, 0, 1)
    assert (report.model.name, report.model.version) == ("default", 2)
    assert seen == [(2, 3), (3, 3)]
    assert (await service.active_model()).version == 2
    apex = await service.resolve_account("apex")
    assert (apex.tier, apex.version) == ("B", 2)
    [change] = await service.history(apex.id, limit=1)
    assert (change.old_tier, change.new_tier, change.cause) == ("A", "B", ScoreCause.MODEL_CHANGE)
    assert change.reasons[0] == "Scoring model changed to default v2"
    async with database.session() as session:
        models = (await session.execute(select(Account.model_name, Account.model_version))).all()
        alerts = (await session.scalars(select(OutboxMessage.recipient))).all()
    assert set(models) == {("default", 2)}
    assert sorted(alerts) == ["slack-channel:C0KEY", "slack:U0RAVI", "telegram:1001"]


async def test_only_admins_activate_and_a_version_names_one_text_for_good(
    service: TieringService, team: Team
) -> None:
    v3 = STRICTER.replace("version: 2", "version: 3", 1)
    with pytest.raises(PermissionDenied):
        await service.activate_model(team.actor(team.manager), v3, "v3.yaml")
    await service.activate_model(Actor.cli(), v3, "v3.yaml")

    with pytest.raises(InvalidInput, match="already stored with other content"):
        await service.activate_model(Actor.cli(), DEFAULT.replace("min: 60", "min: 55"), "v1.yaml")
    with pytest.raises(InvalidInput, match="older than the stored v3"):
        await service.activate_model(Actor.cli(), STRICTER, "v2.yaml")

    # The very text of an older version may come back (a rollback).
    report = await service.activate_model(Actor.cli(), DEFAULT, "default.yaml")
    assert (report.model.version, report.up) == (1, 1)


async def test_each_alert_of_an_activation_names_the_tier_change_of_its_own_account(
    service: TieringService, team: Team, database: Database
) -> None:
    # Changes recorded before, so the new ones do not start from the first id.
    await service.activate_model(Actor.cli(), STRICTER, "stricter.yaml")
    # Bars at 99 and 96: Apex (B now, 91.5) and Acme drop to C in one batch.
    harder = STRICTER.replace("version: 2", "version: 3", 1).replace("min: 95", "min: 99", 1)
    harder = harder.replace("min: 60", "min: 96", 1)

    await service.activate_model(Actor.cli(), harder, "harder.yaml")

    async with database.session() as session:
        changes = {
            change.id: (change.account_id, change.old_tier, change.new_tier)
            for change in await session.scalars(select(TierChange))
        }
        payloads = (await session.scalars(select(OutboxMessage.payload))).all()
    named = {
        (p["account_id"], p["old_tier"], p["new_tier"]) for p in payloads if p["new_tier"] == "C"
    }
    assert len(named) == 2
    assert all(
        changes[p["tier_change_id"]] == (p["account_id"], p["old_tier"], p["new_tier"])
        for p in payloads
    )


async def test_on_postgresql_an_activation_vacuums_the_accounts_it_rewrote(
    service: TieringService, team: Team, database: Database
) -> None:
    if database.dialect != "postgresql":
        pytest.skip("SQLite has no dead row versions to vacuum")
    count = text(
        "SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'accounts'"
    )

    async def vacuums() -> int:
        async with database.connection() as connection:
            return int(await connection.scalar(count) or 0)

    before = await vacuums()
    await service.activate_model(Actor.cli(), STRICTER, "stricter.yaml")

    assert await vacuums() == before + 1
