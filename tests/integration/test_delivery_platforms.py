"""The worker through the real bridges and the adapters' senders, against the fake Slack
Web API and the fake Telegram Bot API: failures the platforms really send."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import pytest_asyncio
from sqlalchemy import select

from bot.delivery.bridges import platform_senders
from bot.delivery.senders import Senders
from bot.delivery.testing import (
    add_person,
    alert_payload,
    alert_row,
    digest_scheduler,
    empty,
    outbox_worker,
    throwaway_database,
)
from bot.settings import Settings
from bot.store.db import Database
from bot.store.enums import OutboxStatus, Role
from bot.store.tables import OutboxMessage
from bot.testing.clock import FakeClock
from bot.testing.fake_slack import FakeSlack
from bot.testing.fake_telegram import FakeTelegram

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def migrated(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Database]:
    # The bridges are what is under test here; SQLite is enough for the outbox around them.
    async with throwaway_database("sqlite", tmp_path_factory.mktemp("db")) as database:
        yield database


@pytest_asyncio.fixture(loop_scope="module")
async def database(migrated: Database) -> Database:
    await empty(migrated)
    async with migrated.session() as session:
        await add_person(session, "Alice", Role.MANAGER, slack="U0ALICE")
        await add_person(session, "Boris", Role.MANAGER, telegram="7001")
        await session.commit()
    return migrated


@pytest_asyncio.fixture(loop_scope="module")
async def platforms() -> AsyncIterator[tuple[FakeSlack, FakeTelegram, Senders]]:
    async with FakeSlack() as slack, FakeTelegram() as telegram:
        settings = Settings(
            _env_file=None,
            SLACK_BOT_TOKEN="xoxb-test", SLACK_API_URL=slack.api_url,
            TELEGRAM_BOT_TOKEN="123456:test-token", TELEGRAM_API_URL=telegram.root_url,
        )
        async with platform_senders(settings) as senders:
            yield slack, telegram, senders


async def _queue(database: Database, clock: FakeClock, recipient: str) -> None:
    async with database.session() as session:
        session.add(alert_row(recipient, alert_payload(1, "Acme & <Co>", "B", "A"), clock.now()))
        await session.commit()


async def _row(database: Database) -> OutboxMessage:
    async with database.session() as session:
        return (await session.scalars(select(OutboxMessage))).one()


async def test_slack_429_then_500_then_success_is_delivered_once(
    database: Database, platforms: tuple[FakeSlack, FakeTelegram, Senders]
) -> None:
    slack, _, senders = platforms
    clock = FakeClock()
    await _queue(database, clock, "slack:U0ALICE")
    slack.fail_next("chat.postMessage", 429, retry_after=7)
    slack.fail_next("chat.postMessage", 500)
    worker = outbox_worker(database, clock, senders)

    assert (await worker.run_once()).retried == 1
    row = await _row(database)
    assert row.last_error == "slack: ratelimited"
    assert (row.next_attempt_at - clock.now()).total_seconds() >= 7
    clock.set(row.next_attempt_at)
    assert (await worker.run_once()).retried == 1
    assert (await _row(database)).last_error == "slack: internal_error"
    clock.advance(hours=1)
    assert (await worker.run_once()).messages == 1

    [posted] = slack.posted_messages()
    assert "Acme &amp; &lt;Co&gt;" in posted["text"]
    assert len(slack.calls("chat.postMessage")) == 3
    row = await _row(database)
    assert row.status is OutboxStatus.SENT
    assert row.platform_message_id == posted["ts"]


async def test_telegram_flood_control_then_a_server_error_then_success_is_delivered_once(
    database: Database, platforms: tuple[FakeSlack, FakeTelegram, Senders]
) -> None:
    _, telegram, senders = platforms
    clock = FakeClock()
    await _queue(database, clock, "telegram:7001")
    telegram.fail_next("sendMessage", 429, retry_after=5)
    telegram.fail_next("sendMessage", 502)
    worker = outbox_worker(database, clock, senders)

    for _ in range(3):
        await worker.run_once()
        clock.advance(hours=1)

    [sent] = telegram.sent_messages(7001)
    assert "Acme & <Co>: tier B → A" in sent["text"]
    row = await _row(database)
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)
    assert row.platform_message_id == str(sent["message_id"])


async def test_a_person_who_blocked_the_bot_is_dead_with_the_platforms_reason(
    database: Database, platforms: tuple[FakeSlack, FakeTelegram, Senders]
) -> None:
    _, telegram, senders = platforms
    clock = FakeClock()
    await _queue(database, clock, "telegram:7001")
    telegram.block(7001)

    await outbox_worker(database, clock, senders).run_once()

    row = await _row(database)
    assert (row.status, row.last_error) == (OutboxStatus.DEAD, "telegram: forbidden")


async def test_digests_arrive_with_their_chart_on_both_platforms(
    database: Database, platforms: tuple[FakeSlack, FakeTelegram, Senders]
) -> None:
    slack, telegram, senders = platforms
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    await digest_scheduler(database, clock).tick()

    report = await outbox_worker(database, clock, senders).run_once()

    assert report.messages == 2
    assert any("Weekly digest" in m["text"] for m in slack.posted_messages())
    [upload] = slack.calls("file_upload")
    assert upload.params["size"] > 1000
    photos = telegram.calls("sendPhoto")
    assert len(photos) == 1
    assert photos[0].files["photo"].data.startswith(b"\x89PNG")
