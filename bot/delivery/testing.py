"""Building blocks for tests and benchmarks of delivery: people, alert rows, a worker.

Alert rows have the shape :mod:`bot.service.outbox` writes, so the worker can be
tested without running the use-cases that produce them.
"""

from __future__ import annotations

import functools
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.conversation.texts import TextsCache
from bot.delivery.digest import DigestBuilder
from bot.delivery.models import ActiveModels
from bot.delivery.pacing import Pacer
from bot.delivery.retry import RetryPolicy
from bot.delivery.schedule import QuietHours, WeeklySchedule
from bot.delivery.scheduler import DigestScheduler
from bot.delivery.senders import Sender
from bot.delivery.worker import OutboxWorker, WorkerOptions
from bot.i18n import TextCatalog
from bot.store.db import Database
from bot.store.enums import ChatPlatform, Language, OutboxKind, Role
from bot.store.tables import Base, ChatIdentity, OutboxMessage, Person
from bot.testing.databases import (
    DEFAULT_TEST_POSTGRES_URL,
    migrated_database,
    sqlite_url,
    temporary_postgres_database,
)

STEPS = (
    {"en": "Visit in person this quarter", "zh": "本季度上门拜访"},
    {"en": "Offer a custom solution", "zh": "提供定制化解决方案"},
)


async def add_person(
    session: AsyncSession,
    name: str,
    role: Role = Role.REP,
    *,
    slack: str | None = None,
    telegram: str | None = None,
    language: Language | None = None,
    time_zone: str = "UTC",
) -> Person:
    """A person with the chat accounts given, flushed so it has an id."""
    person = Person(name=name, role=role, language=language, time_zone=time_zone)
    session.add(person)
    await session.flush()
    for platform, user_id in ((ChatPlatform.SLACK, slack), (ChatPlatform.TELEGRAM, telegram)):
        if user_id is not None:
            session.add(ChatIdentity(person_id=person.id, platform=platform,
                                     platform_user_id=user_id))
    await session.flush()
    return person


def alert_payload(
    change_id: int,
    account: str,
    old_tier: str | None,
    new_tier: str,
    *,
    old_score: float | None = 65.0,
    new_score: float | None = 78.5,
    cause: str = "update",
    actor: str = "Ann",
    reasons: Sequence[str] = ("Cumulative revenue: 12,000,000 CNY (+9.0)",),
    language: str | None = None,
) -> dict[str, Any]:
    return {
        "type": "tier_change",
        "tier_change_id": change_id,
        "account_id": change_id,
        "account_name": account,
        "old_tier": old_tier,
        "new_tier": new_tier,
        "old_score": old_score,
        "new_score": new_score,
        "cause": cause,
        "actor": actor,
        "reasons": list(reasons),
        "next_steps": [dict(step) for step in STEPS],
        "language": language,
    }


def alert_row(recipient: str, payload: dict[str, Any], now: datetime) -> OutboxMessage:
    return OutboxMessage(
        kind=OutboxKind.ALERT,
        recipient=recipient,
        payload=payload,
        dedupe_key=f"tier_change:{payload['tier_change_id']}:{recipient}",
        next_attempt_at=now,
        created_at=now,
    )


@functools.cache
def shared_texts() -> TextsCache:
    """Templates compile on first use; tests share one cache rather than compile per test."""
    return TextsCache(TextCatalog())


@functools.cache
def shared_models(fallback: str = "default") -> ActiveModels:
    """Compiled models shared by tests (a model compiles once per process, not per test)."""
    return ActiveModels(fallback)


@asynccontextmanager
async def throwaway_database(kind: str, directory: Path) -> AsyncIterator[Database]:
    """A migrated SQLite file in ``directory``, or a new database on the test PostgreSQL
    server (TIERBOT_TEST_POSTGRES_URL), dropped afterwards."""
    if kind == "sqlite":
        async with migrated_database(sqlite_url(directory)) as database:
            yield database
        return
    server = os.environ.get("TIERBOT_TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES_URL)
    async with temporary_postgres_database(server) as url, migrated_database(url) as database:
        yield database


async def empty(database: Database) -> None:
    """Delete every row, children first, so one migrated database serves many tests."""
    async with database.session() as session:
        for table in reversed(Base.metadata.sorted_tables):
            await session.execute(delete(table))
        await session.commit()


def outbox_worker(
    database: Database,
    clock: Clock,
    sender: Sender,
    *,
    window: timedelta = timedelta(0),
    quiet_hours: str = "",
    concurrency: int = 4,
    batch: int = 50,
    max_attempts: int = 8,
    model: str = "default",
) -> OutboxWorker:
    """A worker with pacing off (tests move a fake clock, not real time)."""
    options = WorkerOptions(
        batch=batch,
        summary_window=window,
        quiet_hours=QuietHours.parse(quiet_hours),
        concurrency=concurrency,
        retry=RetryPolicy(max_attempts=max_attempts),
    )
    digests = DigestBuilder(shared_models(model))
    return OutboxWorker(
        database, clock, sender, shared_texts(), digests, options, Pacer(enabled=False)
    )


def digest_scheduler(
    database: Database,
    clock: Clock,
    *,
    schedule: str = "MON 09:00",
    grace_hours: int = 12,
    worker_id: str = "test-worker",
    model: str = "default",
) -> DigestScheduler:
    return DigestScheduler(
        database, clock, DigestBuilder(shared_models(model)), WeeklySchedule.parse(schedule),
        grace=timedelta(hours=grace_hours), worker_id=worker_id,
    )
