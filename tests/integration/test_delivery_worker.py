"""The outbox worker against a real database (SQLite and PostgreSQL), a fake clock and a
recording sender: grouping, retries, dead letters, quiet hours and crashes."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest
import pytest_asyncio
from sqlalchemy import select

from bot.delivery import admin
from bot.delivery.claims import POSSIBLE_DUPLICATE
from bot.delivery.errors import WorkerLockHeld, permanent, transient
from bot.delivery.lock import SingleWorkerLock
from bot.delivery.runtime import build_delivery
from bot.delivery.testing import (
    add_person,
    alert_payload,
    alert_row,
    empty,
    outbox_worker,
    shared_texts,
)
from bot.rendering.plain import render_plain
from bot.settings import Settings
from bot.store.db import Database
from bot.store.enums import Language, OutboxStatus
from bot.store.tables import ChatIdentity, OutboxMessage, ScheduledRun
from bot.testing.clock import FakeClock
from bot.testing.senders import RecordingSender, SimulatedCrash

# One migrated database per dialect for the whole module, emptied before each test:
# migrating is most of the cost of a fresh database.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module")
async def database(migrated: Database) -> Database:
    await empty(migrated)
    return migrated


ALICE = "slack:U0ALICE"
BORIS = "telegram:7001"
CHANNEL = "slack-channel:C0KEY"


async def _team(database: Database, clock: FakeClock) -> None:
    async with database.session() as session:
        await add_person(session, "Alice", slack="U0ALICE")
        await add_person(session, "Boris", telegram="7001", language=Language.ZH,
                         time_zone="Asia/Shanghai")
        await session.commit()


async def _queue(
    database: Database, clock: FakeClock, *rows: tuple[str, dict[str, object]]
) -> None:
    async with database.session() as session:
        session.add_all(alert_row(recipient, payload, clock.now()) for recipient, payload in rows)
        await session.commit()


async def _rows(database: Database) -> list[OutboxMessage]:
    async with database.session() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_one_tier_change_becomes_one_alert_with_reasons_and_next_steps(
    database: Database,
) -> None:
    clock, sender = FakeClock(), RecordingSender()
    await _team(database, clock)
    await _queue(database, clock, (ALICE, alert_payload(1, "Acme Corp", "B", "A")))

    report = await outbox_worker(database, clock, sender).run_once()

    assert report.messages == 1
    [message] = sender.sent
    assert message.recipient == ALICE
    assert message.reply is not None
    text = render_plain(message.reply).text
    assert "Acme Corp: tier B → A" in text
    assert "65 → 78.5 (+13.5)" in text
    assert "update by Ann" in text
    assert "Cumulative revenue: 12,000,000 CNY (+9.0)" in text
    assert "Visit in person this quarter" in text
    [row] = await _rows(database)
    assert row.status is OutboxStatus.SENT
    assert row.platform_message_id == message.message_id
    assert row.sent_at == clock.now()


async def test_alerts_are_written_in_the_recipients_language(database: Database) -> None:
    clock, sender = FakeClock(), RecordingSender()
    await _team(database, clock)
    await _queue(database, clock, (BORIS, alert_payload(1, "华为技术", "B", "A", language="zh")))

    await outbox_worker(database, clock, sender).run_once()

    text = render_plain(sender.sent[0].reply).text  # type: ignore[arg-type]
    assert "本季度上门拜访" in text
    assert "华为技术" in text


async def test_a_model_change_moving_500_accounts_sends_one_summary_per_recipient(
    database: Database,
) -> None:
    clock, sender = FakeClock(), RecordingSender()
    await _team(database, clock)
    moves = [
        alert_payload(i, f"Account {i:03d}", "B" if i % 5 else "A", "A" if i % 5 else "B",
                      old_score=70.0, new_score=70.0 + (i % 7) if i % 5 else 60.0,
                      cause="model_change", actor="Root")
        for i in range(500)
    ]
    await _queue(database, clock, *((ALICE, m) for m in moves), *((CHANNEL, m) for m in moves))
    worker = outbox_worker(database, clock, sender, window=timedelta(seconds=60))

    assert (await worker.run_once()).claimed == 0  # still collecting the burst
    clock.advance(seconds=61)
    report = await worker.run_once()

    assert sorted(m.recipient for m in sender.sent) == sorted([ALICE, CHANNEL])
    assert report.rows_sent == 1000
    text = render_plain(sender.to(ALICE)[0].reply).text  # type: ignore[arg-type]
    assert "500 accounts changed tier" in text
    assert "Up:" in text
    assert "400" in text
    assert "100" in text
    assert "model change by Root" in text
    rows = await _rows(database)
    assert {r.status for r in rows} == {OutboxStatus.SENT}
    assert len({r.platform_message_id for r in rows if r.recipient == ALICE}) == 1
    assert (await worker.run_once()).claimed == 0


async def test_429_then_500_then_success_is_delivered_once(database: Database) -> None:
    clock, sender = FakeClock(), RecordingSender()
    await _team(database, clock)
    await _queue(database, clock, (ALICE, alert_payload(1, "Acme Corp", "B", "A")))
    sender.fail_next(transient("slack: ratelimited", retry_after=30), transient("slack: http_500"))
    worker = outbox_worker(database, clock, sender)

    assert (await worker.run_once()).retried == 1
    [row] = await _rows(database)
    assert row.status is OutboxStatus.PENDING
    assert row.attempts == 1
    assert row.next_attempt_at >= clock.now() + timedelta(seconds=30)  # Retry-After honoured
    assert (await worker.run_once()).claimed == 0  # not before its time

    clock.set(row.next_attempt_at)
    assert (await worker.run_once()).retried == 1
    clock.advance(hours=1)
    assert (await worker.run_once()).messages == 1

    assert len(sender.sent) == 1
    assert sender.attempts == 3
    [row] = await _rows(database)
    assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)


async def test_a_recipient_that_no_longer_exists_is_dead_with_a_reason_and_others_still_get_theirs(
    database: Database,
) -> None:
    clock, sender = FakeClock(), RecordingSender()
    await _team(database, clock)
    await _queue(
        database, clock,
        (ALICE, alert_payload(1, "Acme Corp", "B", "A")),
        ("slack:U0GONE", alert_payload(2, "Globex", "C", "B")),
        (BORIS, alert_payload(3, "Initech", "A", "B")),
    )

    report = await outbox_worker(database, clock, sender).run_once()

    assert (report.messages, report.dead) == (2, 1)
    assert sorted(m.recipient for m in sender.sent) == sorted([ALICE, BORIS])
    gone = next(r for r in await _rows(database) if r.recipient == "slack:U0GONE")
    assert gone.status is OutboxStatus.DEAD
    assert gone.last_error is not None
    assert "no longer exists" in gone.last_error


async def test_a_platform_refusal_is_dead_at_once_and_a_flaky_one_after_max_attempts(
    database: Database,
) -> None:
    clock, sender = FakeClock(), RecordingSender()
    await _team(database, clock)
    await _queue(
        database, clock,
        (CHANNEL, alert_payload(1, "Acme Corp", "B", "A")),
        (BORIS, alert_payload(2, "Globex", "C", "B")),
    )
    sender.fail_for(CHANNEL, permanent("slack: channel_not_found"))
    sender.fail_for(BORIS, transient("telegram: network"))
    worker = outbox_worker(database, clock, sender, max_attempts=3)

    for _ in range(4):
        await worker.run_once()
        clock.advance(hours=2)

    rows = {r.recipient: r for r in await _rows(database)}
    assert rows[CHANNEL].status is OutboxStatus.DEAD
    assert rows[CHANNEL].last_error == "slack: channel_not_found"
    assert rows[CHANNEL].attempts == 1
    assert rows[BORIS].status is OutboxStatus.DEAD
    assert rows[BORIS].attempts == 3
    assert rows[BORIS].last_error == "gave up after 3 attempts: telegram: network"


async def test_quiet_hours_hold_an_alert_until_morning_in_the_recipients_time_zone(
    database: Database,
) -> None:
    # 15:00 UTC is 23:00 in Shanghai (quiet) and 15:00 for Alice in UTC (not quiet).
    clock, sender = FakeClock(), RecordingSender()
    clock.set(clock.now().replace(hour=15))
    await _team(database, clock)
    await _queue(
        database, clock,
        (ALICE, alert_payload(1, "Acme Corp", "B", "A")),
        (BORIS, alert_payload(2, "Globex", "C", "B")),
    )
    worker = outbox_worker(database, clock, sender, quiet_hours="22:00-07:00")

    report = await worker.run_once()

    assert (report.messages, report.held) == (1, 1)
    held = next(r for r in await _rows(database) if r.recipient == BORIS)
    assert held.status is OutboxStatus.PENDING
    assert held.attempts == 0
    assert held.next_attempt_at == clock.now().replace(hour=23)  # 07:00 in Shanghai
    clock.advance(hours=7, minutes=59)
    assert (await worker.run_once()).claimed == 0
    clock.advance(minutes=1)
    assert (await worker.run_once()).messages == 1
    assert [m.recipient for m in sender.sent] == [ALICE, BORIS]


async def test_a_worker_killed_between_sending_and_committing_repeats_that_message_once_marked(
    database: Database,
) -> None:
    clock, sender = FakeClock(), RecordingSender()
    await _team(database, clock)
    await _queue(database, clock, (ALICE, alert_payload(1, "Acme Corp", "B", "A")))
    sender.crash_after_next_send()

    with pytest.raises(SimulatedCrash):
        await outbox_worker(database, clock, sender, concurrency=1).run_once()
    [row] = await _rows(database)
    assert row.status is OutboxStatus.SENDING  # the platform has it; the database never heard

    survivor = outbox_worker(database, clock, sender)
    assert (await survivor.run_once()).claimed == 0  # the lease still runs
    clock.advance(minutes=6)
    assert (await survivor.run_once()).messages == 1
    assert (await survivor.run_once()).claimed == 0

    assert len(sender.to(ALICE)) == 2  # one repeat, never more
    repeat = sender.sent[1].reply
    assert repeat is not None
    assert repeat.footer is not None
    assert "may repeat" in repeat.footer
    [row] = await _rows(database)
    assert row.status is OutboxStatus.SENT
    assert row.last_error == POSSIBLE_DUPLICATE
    assert row.payload["possible_duplicate"] is True


async def test_dead_messages_can_be_listed_and_retried(database: Database) -> None:
    clock, sender = FakeClock(), RecordingSender()
    await _team(database, clock)
    await _queue(database, clock, (CHANNEL, alert_payload(1, "Acme Corp", "B", "A")),
                 (CHANNEL.replace("KEY", "OTHER"), alert_payload(2, "Globex", "C", "B")))
    sender.fail_next(permanent("slack: not_in_channel"), permanent("slack: not_in_channel"))
    worker = outbox_worker(database, clock, sender)
    await worker.run_once()

    listed = await admin.list_outbox(database)
    assert [(i.status, i.last_error) for i in listed] == [
        (OutboxStatus.DEAD, "slack: not_in_channel")] * 2
    assert await admin.retry(database, clock, listed[0].id)
    assert await admin.retry_dead(database, clock) == 1
    assert not await admin.retry(database, clock, 999)

    assert (await worker.run_once()).messages == 2
    assert {r.attempts for r in await _rows(database)} == {0}


async def test_a_person_whose_chat_account_was_removed_gets_nothing_and_the_row_says_why(
    database: Database,
) -> None:
    clock, sender = FakeClock(), RecordingSender()
    await _team(database, clock)
    await _queue(database, clock, (ALICE, alert_payload(1, "Acme Corp", "B", "A")))
    async with database.session() as session:
        identity = await session.scalar(
            select(ChatIdentity).where(ChatIdentity.platform_user_id == "U0ALICE"))
        await session.delete(identity)
        await session.commit()

    await outbox_worker(database, clock, sender).run_once()

    assert sender.sent == []
    [row] = await _rows(database)
    assert row.status is OutboxStatus.DEAD


async def test_on_sqlite_a_second_worker_refuses_to_start(tmp_path: object) -> None:
    from bot.testing.databases import migrated_database, sqlite_url

    clock = FakeClock()
    async with migrated_database(sqlite_url(tmp_path)) as database:  # type: ignore[arg-type]
        first = SingleWorkerLock(database, clock, "host-a:1")
        second = SingleWorkerLock(database, clock, "host-b:2")
        await first.acquire()
        with pytest.raises(WorkerLockHeld, match=r"host-a:1.*SQLite allows one worker"):
            await second.acquire()
        clock.advance(minutes=1)
        await first.acquire()  # the heartbeat
        clock.advance(minutes=3)
        await second.acquire()  # the first one went silent: taken over
        with pytest.raises(WorkerLockHeld):
            await first.acquire()
        await second.release()
        await first.acquire()


async def test_the_delivery_loop_sends_until_stopped_then_releases_its_lock(
    database: Database,
) -> None:
    clock, sender = FakeClock(), RecordingSender()
    await _team(database, clock)
    settings = Settings(_env_file=None, TIERBOT_ALERT_SUMMARY_SECONDS=0)
    delivery = dataclasses.replace(
        build_delivery(settings, database, clock, shared_texts(), sender, pacing=False),
        poll_seconds=0.01,
    )
    stop = asyncio.Event()
    running = asyncio.create_task(delivery.run(stop))
    await _queue(database, clock, (ALICE, alert_payload(1, "Acme Corp", "B", "A")))

    await sender.wait_for(1)
    stop.set()
    await running

    assert [m.recipient for m in sender.sent] == [ALICE]
    async with database.session() as session:
        assert list(await session.scalars(select(ScheduledRun.job))) == []
