"""Writing many accounts' rows at once, as rescoring and imports do."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import cast

import pytest
from sqlalchemy import Table, select, update

from bot.service import bulk
from bot.store.db import Database
from bot.store.tables import Account
from bot.testing.builders import A_FACTS, add_team, service_for

_ACCOUNTS = cast(Table, Account.__table__)


async def _a_accounts(database: Database, count: int) -> list[int]:
    """The ids of ``count`` new tier-A accounts."""
    service = service_for(database)
    team = await add_team(service)
    ids = []
    for n in range(count):
        card = await service.create_account(team.actor(team.rep), f"Acme {n}", facts=A_FACTS)
        ids.append(card.account.id)
    return ids


async def test_many_rows_get_their_own_values_and_the_values_they_share_across_chunks(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await _a_accounts(database, 7)
    monkeypatch.setattr(bulk, "_SQLITE_PARAMETERS", 10)  # a chunk of 2 rows on SQLite
    now = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    given = {
        "score": [float(n) for n in range(7)],
        "model_name": ["shared"] * 7,
        "updated_at": [now] * 7,
        "id": ids,
    }

    async with database.session() as session:
        await bulk.update_columns(session, _ACCOUNTS, "id", given, also=("version = version + 1",))
        await session.commit()

    columns = (Account.score, Account.model_name, Account.updated_at, Account.version)
    async with database.session() as session:
        rows = (await session.execute(select(*columns).order_by(Account.id))).all()
    assert [row.score for row in rows] == given["score"]
    assert {(row.model_name, row.updated_at, row.version) for row in rows} == {("shared", now, 2)}


@pytest.mark.parametrize("new_tiers", [["A", "B", "C"], ["A", "A", "A"]], ids=["own", "shared"])
async def test_a_stamp_is_written_only_where_its_column_gets_a_new_value(
    database: Database, monkeypatch: pytest.MonkeyPatch, new_tiers: list[str]
) -> None:
    ids = await _a_accounts(database, 3)
    async with database.session() as session:  # the second one is B, the others A
        await session.execute(update(Account).where(Account.id == ids[1]).values(tier="B"))
        await session.commit()
    async with database.session() as session:
        before = dict((await session.execute(select(Account.id, Account.tier))).all())
        since = dict((await session.execute(select(Account.id, Account.tier_since))).all())
    monkeypatch.setattr(bulk, "_SQLITE_PARAMETERS", 10)  # chunks of a row or two on SQLite
    now = datetime(2030, 1, 1, 8, 0, tzinfo=UTC)
    stamp = bulk.StampWhenChanged("tier_since", "tier", now)

    async with database.session() as session:
        given = {"tier": new_tiers, "id": ids}
        await bulk.update_columns(session, _ACCOUNTS, "id", given, stamp=stamp)
        await session.commit()

    async with database.session() as session:
        rows = (await session.execute(select(Account.id, Account.tier, Account.tier_since))).all()
    for row in rows:
        moved = before[row.id] != row.tier
        assert row.tier == new_tiers[ids.index(row.id)]
        assert row.tier_since == (now if moved else since[row.id]), row


def test_sub_score_texts_read_back_as_the_numbers_written() -> None:
    columns = {"value": [66.66666666666667, 0.1, 1e-7], "100% sure": [45.0, -0.0, 1e16]}

    texts = bulk.json_object_texts(columns)

    assert [json.loads(t) for t in texts] == [
        {"value": v, "100% sure": s} for v, s in zip(*columns.values(), strict=True)
    ]
    assert texts[0] == json.dumps({"value": 66.66666666666667, "100% sure": 45.0})
