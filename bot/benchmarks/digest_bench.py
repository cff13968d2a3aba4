"""``tierbot bench digest``: every manager's weekly digest on a big book, and outbox throughput.

Digest: a temporary SQLite database gets ``accounts`` scored accounts spread over ``reps``
reps (owners set in bulk by one UPDATE), about 1 % of the accounts moving tier in each of
the last 12 weeks, and ``managers`` managers due their digest now. The figure is one
scheduler tick (the SQL aggregates, collected once per tick, and one outbox row per
manager) plus rendering each manager's digest in their language with its chart.

Throughput: ``messages`` alerts to as many people, half on Slack and half on Telegram,
drained by one worker through the real bridges and senders into the fake Slack and
Telegram APIs on 127.0.0.1, pacing off. Nothing leaves the machine.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Integer, case, cast, delete, func, insert, literal, select, update

from bot.app import App, running_app
from bot.benchmarks.seed import seed_accounts
from bot.clock import ManualClock
from bot.delivery.bridges import platform_senders
from bot.delivery.digest import DigestBuilder
from bot.delivery.digest_data import DigestData
from bot.delivery.models import ActiveModels
from bot.delivery.pacing import Pacer
from bot.delivery.schedule import WeeklySchedule
from bot.delivery.scheduler import DigestScheduler
from bot.delivery.worker import OutboxWorker, WorkerOptions
from bot.settings import Settings
from bot.store.enums import ChatPlatform, Language, OutboxKind, Role, ScoreCause
from bot.store.tables import Account, ChatIdentity, OutboxMessage, Person, TierChange
from bot.testing.databases import sqlite_url
from bot.testing.fake_slack import FakeSlack
from bot.testing.fake_telegram import FakeTelegram
from scoring import CompiledModel

DIGEST_TARGET_SECONDS = 5.0
THROUGHPUT_TARGET = 500.0
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 09:00 UTC: every manager is due
WEEKS = 12
MOVERS_PER_WEEK = 100  # one account in this many moves each week


@dataclass(frozen=True)
class DigestFigures:
    accounts: int
    reps: int
    managers: int
    tier_changes: int
    seed_seconds: float
    collect_seconds: float  # the scheduler tick: aggregates and queueing
    render_seconds: float  # every manager's reply and chart

    @property
    def seconds(self) -> float:
        return self.collect_seconds + self.render_seconds


@dataclass(frozen=True)
class ThroughputFigures:
    messages: int  # queued
    delivered: int  # timed: all but the first, warm-up batch
    seconds: float

    @property
    def per_second(self) -> float:
        return self.delivered / self.seconds if self.seconds > 0 else 0.0


async def run(
    accounts: int,
    reps: int,
    managers: int,
    messages: int,
    progress: Callable[[str], None] = lambda _: None,
) -> tuple[DigestFigures, ThroughputFigures]:
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(_env_file=None, TIERBOT_DATABASE_URL=sqlite_url(Path(directory)))
        async with running_app(settings, ManualClock(NOW)) as app:
            digest = await _digest(app, accounts, reps, managers, progress)
            progress("outbox throughput")
            throughput = await _throughput(app, messages)
    return digest, throughput


# -- digest ----------------------------------------------------------------------------


async def _digest(
    app: App, accounts: int, reps: int, managers: int, progress: Callable[[str], None]
) -> DigestFigures:
    started = time.perf_counter()
    progress(f"seeding {accounts:,} accounts")
    await seed_accounts(app, accounts)
    model = await app.service.active_model()
    await _people(app, "Rep", Role.REP, reps)
    await _people(app, "Manager", Role.MANAGER, managers, chat=True)
    changes = await _book(app, model, reps)
    seed_seconds = time.perf_counter() - started

    progress("building digests")
    builder = DigestBuilder(ActiveModels(app.settings.model))
    scheduler = DigestScheduler(
        app.database,
        app.clock,
        builder,
        WeeklySchedule.parse("MON 09:00"),
        grace=timedelta(hours=12),
        worker_id="bench",
    )
    started = time.perf_counter()
    report = await scheduler.tick()
    collected = time.perf_counter()
    async with app.database.session() as session:
        rows = (
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.DIGEST)
            )
        ).all()
    for row in rows:
        data = DigestData.model_validate(row.payload["data"])
        texts = app.texts.get(row.payload["language"])
        builder.reply(texts, data, week=row.payload["week"], time_zone="UTC")
    finished = time.perf_counter()
    assert len(report.queued) == managers == len(rows), "every manager should be due"
    return DigestFigures(
        accounts, reps, managers, changes, seed_seconds, collected - started, finished - collected
    )


async def _people(app: App, prefix: str, role: Role, count: int, *, chat: bool = False) -> None:
    async with app.database.session() as session:
        await session.execute(
            insert(Person),
            [
                {
                    "name": f"{prefix} {i:05d}",
                    "role": role,
                    "time_zone": "UTC",
                    "language": Language.ZH if i % 2 else Language.EN,
                }
                for i in range(count)
            ],
        )
        if chat:
            ids = await session.scalars(
                select(Person.id).where(Person.role == role).order_by(Person.id)
            )
            await session.execute(
                insert(ChatIdentity),
                [
                    {
                        "person_id": person_id,
                        "platform": ChatPlatform.SLACK,
                        "platform_user_id": f"UMGR{person_id:05d}",
                    }
                    for person_id in ids
                ],
            )
        await session.commit()


async def _book(app: App, model: CompiledModel, reps: int) -> int:
    """Owners and review dates in two UPDATEs; tier moves of 12 weeks by INSERT ... SELECT."""
    async with app.database.session() as session:
        first_rep = await session.scalar(select(func.min(Person.id)).where(Person.role == Role.REP))
        assert first_rep is not None
        await session.execute(
            update(Account).values(
                owner_id=first_rep + Account.id % reps,
                last_reviewed_at=case(
                    (Account.id % 4 == 0, NOW - timedelta(days=200)),
                    else_=NOW - timedelta(days=20),
                ),
            )
        )
        names = model.tier_names
        # Each account that moved came from the neighbouring tier (from below if it can).
        came_from = case(
            {
                name: names[i + 1] if i + 1 < len(names) else names[i - 1]
                for i, name in enumerate(names)
            },
            value=Account.tier,
        )
        for week in range(WEEKS):
            movers = select(
                Account.id,
                literal(NOW - timedelta(days=7 * week + 1), TierChange.changed_at.type),
                came_from,
                Account.tier,
                Account.score - 5,
                Account.score,
                literal(ScoreCause.UPDATE.value),
                literal('["Cumulative revenue: 12,000,000 CNY (+6.0)"]'),
            ).where(cast(Account.id % MOVERS_PER_WEEK, Integer) == week)
            await session.execute(
                insert(TierChange).from_select(
                    [
                        "account_id",
                        "changed_at",
                        "old_tier",
                        "new_tier",
                        "old_score",
                        "new_score",
                        "cause",
                        "reasons",
                    ],
                    movers,
                )
            )
        await session.commit()
        return int(await session.scalar(select(func.count()).select_from(TierChange)) or 0)


# -- throughput --------------------------------------------------------------------------


async def _throughput(app: App, messages: int) -> ThroughputFigures:
    async with FakeSlack() as slack, FakeTelegram() as telegram:
        settings = Settings(
            _env_file=None,
            SLACK_BOT_TOKEN="xoxb-bench",
            SLACK_API_URL=slack.api_url,
            TELEGRAM_BOT_TOKEN="123456:bench",
            TELEGRAM_API_URL=telegram.root_url,
        )
        await _alerts(app, messages)
        async with platform_senders(settings) as senders:
            worker = OutboxWorker(
                app.database,
                app.clock,
                senders,
                app.texts,
                DigestBuilder(ActiveModels(app.settings.model)),
                WorkerOptions(batch=200, concurrency=16, summary_window=timedelta(0)),
                Pacer(enabled=False),
            )
            # The first batch opens connections and compiles templates: not timed.
            warm_up = (await worker.run_once()).messages
            started = time.perf_counter()
            delivered = 0
            while (report := await worker.run_once()).claimed:
                delivered += report.messages
            seconds = time.perf_counter() - started
    sent = len(slack.calls("chat.postMessage")) + len(telegram.calls("sendMessage"))
    assert sent == warm_up + delivered == messages, f"{messages} queued, the fakes saw {sent}"
    return ThroughputFigures(messages, delivered, seconds)


async def _alerts(app: App, count: int) -> None:
    """``count`` people, each with one chat account and one alert waiting (and nothing else)."""
    async with app.database.session() as session:
        await session.execute(delete(OutboxMessage))
        await session.execute(
            insert(Person),
            [
                {"name": f"Alerted {i:06d}", "role": Role.REP, "time_zone": "UTC"}
                for i in range(count)
            ],
        )
        ids = list(
            await session.scalars(
                select(Person.id).where(Person.name.like("Alerted %")).order_by(Person.id)
            )
        )
        identities, rows = [], []
        for n, person_id in enumerate(ids):
            platform = ChatPlatform.SLACK if n % 2 else ChatPlatform.TELEGRAM
            user_id = f"UB{person_id:06d}" if n % 2 else str(900_000 + person_id)
            identities.append(
                {"person_id": person_id, "platform": platform, "platform_user_id": user_id}
            )
            recipient = f"{platform.value}:{user_id}"
            rows.append(
                {
                    "kind": OutboxKind.ALERT,
                    "recipient": recipient,
                    "dedupe_key": f"bench:{n}",
                    "next_attempt_at": NOW,
                    "created_at": NOW,
                    "payload": {
                        "type": "tier_change",
                        "tier_change_id": n,
                        "account_id": n,
                        "account_name": f"Account {n}",
                        "old_tier": "B",
                        "new_tier": "A",
                        "old_score": 70.0,
                        "new_score": 80.0,
                        "cause": "update",
                        "actor": "Bench",
                        "reasons": ["Cumulative revenue: 12,000,000 CNY (+6.0)"],
                        "next_steps": [{"en": "Visit in person", "zh": "上门拜访"}],
                        "language": None,
                    },
                }
            )
        await session.execute(insert(ChatIdentity), identities)
        await session.execute(insert(OutboxMessage), rows)
        await session.commit()
