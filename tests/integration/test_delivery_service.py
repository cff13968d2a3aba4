"""From the service's own outbox rows to the messages people get: a model activation that
moves 500 accounts ends as one summary per recipient."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio
from sqlalchemy import insert, select

from bot.delivery.testing import empty, outbox_worker, throwaway_database
from bot.model_files import read_model_text
from bot.rendering.plain import render_plain
from bot.service.actor import Actor
from bot.store.db import Database
from bot.store.enums import OutboxStatus
from bot.store.tables import Account, OutboxMessage
from bot.testing.builders import A_FACTS, add_team, service_for
from bot.testing.clock import FakeClock
from bot.testing.senders import RecordingSender

pytestmark = pytest.mark.asyncio(loop_scope="module")

DEFAULT, _ = read_model_text("default")
# A's bar from 75 to 95: every A account (91.5) drops to B.
STRICTER = DEFAULT.replace("version: 1", "version: 2", 1).replace("min: 75", "min: 95", 1)
CHANNEL = "slack-channel:C0KEY"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def migrated(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Database]:
    async with throwaway_database("sqlite", tmp_path_factory.mktemp("db")) as database:
        yield database


@pytest_asyncio.fixture(loop_scope="module")
async def database(migrated: Database) -> Database:
    await empty(migrated)
    return migrated


async def test_a_model_activation_moving_500_accounts_is_one_summary_per_recipient(
    database: Database,
) -> None:
    clock = FakeClock()
    service = service_for(database, clock, alert_routes={"A": [CHANNEL]})
    team = await add_team(service)
    await service.create_account(team.actor(team.rep), "Apex 000", facts=A_FACTS, notify=False)
    async with database.session() as session:
        apex = (await session.scalars(select(Account))).one()
        columns = {c.key: getattr(apex, c.key) for c in Account.__table__.columns
                   if c.key not in ("id", "name", "external_id")}
        await session.execute(insert(Account), [
            {**columns, "name": f"Apex {n:03d}"} for n in range(1, 500)])
        await session.commit()

    await service.activate_model(Actor.cli(), STRICTER, "stricter.yaml")
    clock.advance(seconds=61)
    sender = RecordingSender()
    report = await outbox_worker(database, clock, sender, window=timedelta(seconds=60)).run_once()

    assert sorted(m.recipient for m in sender.sent) == sorted(
        [CHANNEL, "slack:U0RAVI", "telegram:1001"])
    assert report.rows_sent == 1500
    text = render_plain(sender.to("slack:U0RAVI")[0].reply, width=200).text  # type: ignore[arg-type]
    assert "500 accounts changed tier" in text
    assert "Down:  500" in text
    assert "model change by command line" in text
    assert "A → B: 500 accounts" in text
    async with database.session() as session:
        statuses = set(await session.scalars(select(OutboxMessage.status)))
    assert statuses == {OutboxStatus.SENT}
