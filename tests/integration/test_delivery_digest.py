"""Weekly digests: the numbers from SQL, the schedule per time zone, exactly-once queueing
across replicas and restarts, and three workers racing over one PostgreSQL outbox."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from sqlalchemy import insert, select

from bot.delivery import digest_accounts
from bot.delivery.digest import DigestBuilder
from bot.delivery.digest_queries import DigestOptions
from bot.delivery.testing import (
    add_person,
    alert_payload,
    alert_row,
    digest_scheduler,
    empty,
    outbox_worker,
    shared_models,
    shared_texts,
)
from bot.rendering.plain import render_plain
from bot.store.db import Database
from bot.store.enums import Language, OutboxKind, OutboxStatus, Role, ScoreCause
from bot.store.tables import Account, OutboxMessage, ScheduledRun, TierChange
from bot.testing.clock import FakeClock
from bot.testing.senders import RecordingSender
from scoring import CompiledModel

pytestmark = pytest.mark.asyncio(loop_scope="module")

MONDAY = datetime(2026, 3, 2, tzinfo=UTC)  # ISO week 2026-W10; US daylight time starts 8 March


@pytest_asyncio.fixture(loop_scope="module")
async def database(migrated: Database) -> Database:
    await empty(migrated)
    return migrated


# -- a small book of accounts whose digest is worked out by hand ------------------------


async def _book(database: Database, now: datetime) -> None:
    """35 A (Rita), 10 B + 5 C (Sam), 1 C (Tom), 2 C unowned, 1 ungraded; moves below."""
    async with database.session() as session:
        rita = await add_person(session, "Rita")
        sam = await add_person(session, "Sam")
        tom = await add_person(session, "Tom")
        recent, stale = now - timedelta(days=10), now - timedelta(days=100)

        def account(name: str, tier: str | None, score: float | None, owner: int | None,
                    revenue: float | None, reviewed: datetime | None = recent) -> Account:
            return Account(
                name=name, tier=tier, scored_tier=tier, score=score, owner_id=owner,
                facts={} if revenue is None else {"cumulative_revenue": revenue},
                last_reviewed_at=reviewed, created_at=now - timedelta(days=200),
            )

        a_scores = [75.5, 76.0, 77.9, 78.0] + [90.0] * 31
        session.add_all(
            account("Whale Co" if i == 0 else f"A{i:02d}", "A", score, rita.id,
                    10_000_000 if i == 0 else 1_000_000, stale if i < 4 else recent)
            for i, score in enumerate(a_scores)
        )
        session.add_all(
            account(f"B{i:02d}", "B", score, sam.id, 500_000)
            for i, score in enumerate([61.0, 62.9] + [70.0] * 8)
        )
        session.add_all(account(f"C{i:02d}", "C", 30.0, sam.id, 100_000) for i in range(5))
        session.add(account("Tiny", "C", 20.0, tom.id, 100_000))
        session.add_all(account(f"Loose{i}", "C", 20.0, None, None, None) for i in range(2))
        session.add(account("Fresh", None, None, None, None))
        await session.flush()
        ids = {a.name: a.id for a in await session.scalars(select(Account))}

        def move(name: str, old: str | None, new: str, days: float, old_score: float,
                 new_score: float) -> TierChange:
            return TierChange(
                account_id=ids[name], changed_at=now - timedelta(days=days), old_tier=old,
                new_tier=new, old_score=old_score, new_score=new_score,
                cause=ScoreCause.UPDATE, reasons=[f"{name} reason"],
            )

        session.add_all([
            move("A10", "B", "A", 1, 70, 90), move("A11", "B", "A", 2, 72, 90),
            move("A12", "B", "A", 3, 74, 90), move("B05", "A", "B", 1, 80, 70),
            move("Tiny", None, "C", 1, 0, 20),
            move("B06", "C", "B", 10, 50, 70), move("B07", "C", "B", 11, 55, 70),
        ])
        await session.commit()


async def test_the_digest_numbers_come_from_sql_aggregates(database: Database) -> None:
    now = MONDAY.replace(hour=9)
    await _book(database, now)
    builder = DigestBuilder(shared_models())

    async with database.session() as session:
        data = await builder.collect(session, now)

    assert (data.total, data.ungraded) == (54, 1)
    assert data.now == {"A": 35, "B": 10, "C": 8}
    assert data.week_ago == {"A": 33, "B": 12, "C": 7}
    assert data.four_weeks_ago == {"A": 33, "B": 10, "C": 9}
    assert len(data.weeks) == 12
    assert data.weeks[-1].label == "W10"
    assert [(w.up, w.down) for w in data.weeks[-3:]] == [(0, 0), (2, 0), (3, 1)]
    assert (data.up, data.down, data.graded) == (3, 1, 1)
    assert [m.name for m in data.top_up] == ["A10", "A11", "A12"]
    assert [(m.name, m.reason) for m in data.top_down] == [("B05", "B05 reason")]
    assert data.near == {"A": 3, "B": 2, "C": 0}
    assert [(n.name, n.tier, n.threshold) for n in data.near_examples] == [
        ("Whale Co", "A", 75.0), ("A01", "A", 75.0), ("A02", "A", 75.0),
        ("B00", "B", 60.0), ("B01", "B", 60.0),
    ]
    assert data.overdue == {"A": 4, "B": 0, "C": 2}
    team = data.team
    assert (team.reps, team.median, team.unassigned) == (3, 15.0, 3)
    [rita] = team.overloaded
    assert (rita.name, rita.total, rita.too_many_top, rita.over_median) == ("Rita", 35, True, True)
    revenue = data.revenue
    assert revenue is not None
    assert revenue.accounts == 51
    assert revenue.top_share == pytest.approx(100 * 20_000_000 / 49_600_000)
    assert (revenue.largest_name, round(revenue.largest_share, 2)) == ("Whale Co", 20.16)


async def test_a_digest_reads_well_in_english_and_chinese_with_its_chart(
    database: Database,
) -> None:
    now = MONDAY.replace(hour=9)
    await _book(database, now)
    builder = DigestBuilder(shared_models())
    async with database.session() as session:
        data = await builder.collect(session, now)

    english = builder.reply(shared_texts().get("en"), data, week="2026-W10", time_zone="UTC")
    chinese = builder.reply(shared_texts().get("zh"), data, week="2026-W10",
                            time_zone="Asia/Shanghai")

    text = render_plain(english, width=200).text
    assert "Weekly digest · 2026-W10" in text
    assert "35 (66%) · +2 on last week · +2 on 4 weeks ago" in text
    assert "This week: 3 up, 1 down" in text
    assert "Rita: A: 35 · more than 30 in tier A · over 2× the team median" in text
    assert "The top 20% of accounts hold 40% of Cumulative revenue" in text
    assert "Largest single account: Whale Co, 20.2%" in text
    zh_text = render_plain(chinese, width=200).text
    assert "周报 · 2026-W10" in zh_text
    assert "累计销售额" in zh_text
    assert english.image is not None
    assert english.image.png.startswith(b"\x89PNG")
    assert chinese.image is not None
    assert chinese.image.png == english.image.png


# -- the schedule ------------------------------------------------------------------------


async def _managers(database: Database) -> dict[str, int]:
    async with database.session() as session:
        mei = await add_person(session, "Mei", Role.MANAGER, telegram="8001",
                               language=Language.ZH, time_zone="Asia/Shanghai")
        ned = await add_person(session, "Ned", Role.MANAGER, slack="U0NED",
                               time_zone="America/New_York")
        await add_person(session, "Rep", Role.REP, slack="U0REP")
        await session.commit()
        return {"mei": mei.id, "ned": ned.id}


async def _digests(database: Database) -> list[OutboxMessage]:
    async with database.session() as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.DIGEST)
        return list(await session.scalars(query.order_by(OutboxMessage.id)))


async def test_managers_get_their_digest_at_nine_on_monday_in_their_own_time_zone(
    database: Database,
) -> None:
    ids = await _managers(database)
    clock, sender = FakeClock(MONDAY.replace(hour=0, minute=59)), RecordingSender()
    scheduler, worker = digest_scheduler(database, clock), outbox_worker(database, clock, sender)

    assert (await scheduler.tick()).queued == []
    clock.advance(minutes=1)  # 09:00 in Shanghai, Sunday 20:00 in New York
    assert (await scheduler.tick()).queued == [f"digest:{ids['mei']}:2026-W10"]
    await worker.run_once()
    assert [m.recipient for m in sender.sent] == ["telegram:8001"]
    assert sender.sent[0].title == "周报 · 2026-W10"

    clock.set(MONDAY.replace(hour=13, minute=59))
    assert (await scheduler.tick()).queued == []
    clock.advance(minutes=1)  # 09:00 in New York (EST, UTC-5)
    assert (await scheduler.tick()).queued == [f"digest:{ids['ned']}:2026-W10"]
    await worker.run_once()
    assert [m.recipient for m in sender.sent] == ["telegram:8001", "slack:U0NED"]
    ned = sender.sent[1].reply
    assert ned is not None
    assert ned.title == "Weekly digest · 2026-W10"
    assert ned.image is not None
    assert {row.status for row in await _digests(database)} == {OutboxStatus.SENT}


async def test_a_digest_missed_while_down_is_sent_once_within_grace_never_twice(
    database: Database,
) -> None:
    ids = await _managers(database)
    # Back up at 20:00 on Monday in Shanghai: 11 hours late, within the 12 h grace.
    clock, sender = FakeClock(MONDAY.replace(hour=12)), RecordingSender()
    first, second = digest_scheduler(database, clock), digest_scheduler(database, clock)

    assert (await first.tick()).queued == [f"digest:{ids['mei']}:2026-W10"]
    assert (await first.tick()).queued == []
    assert (await second.tick()).queued == []
    worker = outbox_worker(database, clock, sender)
    await worker.run_once()
    await worker.run_once()

    assert [m.recipient for m in sender.sent] == ["telegram:8001"]
    [row] = await _digests(database)
    assert row.dedupe_key == f"digest:{ids['mei']}:2026-W10"


async def test_a_digest_past_its_grace_period_is_skipped_and_logged_once(
    database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    ids = await _managers(database)
    clock = FakeClock(MONDAY.replace(hour=14))  # 22:00 in Shanghai: 13 h late
    scheduler = digest_scheduler(database, clock)

    with caplog.at_level(logging.WARNING, logger="bot.delivery.scheduler"):
        report = await scheduler.tick()
        assert (await scheduler.tick()).skipped == []

    assert f"digest:{ids['mei']}:2026-W10" in report.skipped
    assert [r.getMessage() for r in caplog.records if "Mei" in r.getMessage() or
            f":{ids['mei']}:" in r.getMessage()] == [
        f"digest digest:{ids['mei']}:2026-W10 skipped: it was due 13.0 h ago, "
        "past the grace period"
    ]
    assert [d.recipient for d in await _digests(database)] == ["slack:U0NED"]
    async with database.session() as session:
        claims = {r.period: r.claimed_by for r in await session.scalars(select(ScheduledRun))}
    assert claims[f"digest:{ids['mei']}:2026-W10"].startswith("skipped by")


# -- replicas ----------------------------------------------------------------------------


async def _unsent(database: Database) -> int:
    async with database.session() as session:
        return len(list(await session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.status != OutboxStatus.SENT))))


# SQLite runs one worker only (bot.delivery.lock), so the race is PostgreSQL's alone.
@pytest.mark.parametrize(
    "migrated", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
async def test_three_workers_racing_over_one_postgres_outbox_send_everything_exactly_once(
    database: Database,
) -> None:
    now = MONDAY.replace(hour=1)  # 09:00 in Shanghai: Mei's digest is due
    await _managers(database)
    recipients = [f"slack:U{i:04d}" for i in range(40)] + [f"slack-channel:C{i}" for i in range(5)]
    async with database.session() as session:
        for i in range(40):
            await add_person(session, f"Person {i}", slack=f"U{i:04d}")
        session.add_all(
            alert_row(recipient, alert_payload(n * 100 + k, f"Account {n}-{k}", "B", "A"), now)
            for n, recipient in enumerate(recipients) for k in range(3)
        )
        await session.commit()
    senders = [RecordingSender(delay=0.002) for _ in range(3)]
    replicas = [Database(database.url) for _ in range(3)]  # each its own engine and sessions

    async def replica(index: int) -> None:
        clock = FakeClock(now)
        await digest_scheduler(replicas[index], clock, worker_id=f"replica-{index}").tick()
        # Small batches, so the replicas take turns claiming instead of one taking all.
        worker = outbox_worker(replicas[index], clock, senders[index], batch=4)
        while await _unsent(replicas[index]):
            if not (await worker.run_once()).claimed:
                await asyncio.sleep(0.001)  # what is left is being sent by another replica

    try:
        await asyncio.gather(*(replica(i) for i in range(3)))
    finally:
        for db in replicas:
            await db.dispose()

    assert sum(bool(sender.sent) for sender in senders) >= 2  # they did take turns
    counts = Counter(m.recipient for sender in senders for m in sender.sent)
    assert counts == Counter({**{r: 1 for r in recipients}, "telegram:8001": 1})
    async with database.session() as session:
        statuses = Counter(await session.scalars(select(OutboxMessage.status)))
    assert statuses == Counter({OutboxStatus.SENT: 3 * len(recipients) + 1})


async def test_the_top_revenue_share_of_a_big_book_is_exact_without_sorting_every_account(
    database: Database,
) -> None:
    rng = random.Random(3)
    async with database.session() as session:
        await session.execute(insert(Account), [
            {"name": f"Co {i}", "tier": "C", "scored_tier": "C", "score": 30.0, "version": 1,
             "facts": {"cumulative_revenue": round(rng.lognormvariate(14, 1.5), 2)}}
            for i in range(3000)
        ])
        await session.commit()
    model = await _default_model(database)
    options = DigestOptions().for_accounts()
    async with (
        database.session() as session,
        digest_accounts.working_set(session, model, MONDAY, options) as working,
    ):
        exact = await digest_accounts.top_revenue_sum(session, working, 3000, 600)
        sampled = await digest_accounts.top_revenue_sum(
            session, working, 3000, 600, sample_every=4, exact_up_to=100)
        tiny_sample = await digest_accounts.top_revenue_sum(
            session, working, 3000, 600, sample_every=1000, exact_up_to=100)

    assert sampled == pytest.approx(exact, rel=1e-12)
    assert tiny_sample == pytest.approx(exact, rel=1e-12)  # a poor bracket falls back


async def _default_model(database: Database) -> CompiledModel:
    async with database.session() as session:
        return await shared_models().get(session)
