"""Weekly digests for managers, each queued exactly once however many replicas run.

Every tick looks at each manager with digests on: the latest scheduled moment in
their time zone (default Monday 09:00) names a period, ``digest:<person id>:2026-W10``.

* Already claimed (a row in ``scheduled_runs``): nothing to do.
* Due within ``grace`` (the bot may have been down at 09:00): collect the numbers,
  then in one transaction insert the claim (``ON CONFLICT DO NOTHING``: a replica
  that lost the race inserts nothing and queues nothing) and the outbox row, whose
  ``dedupe_key`` is the period. Claim and message commit together, so a crash leaves
  either both or neither.
* Older than ``grace``: claimed as skipped and logged, once, so a digest never turns
  up days late.

The numbers are collected once per tick and shared by the managers due in it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.delivery.digest import DigestBuilder
from bot.delivery.digest_data import DigestData
from bot.delivery.schedule import WeeklySchedule, iso_week
from bot.service.dialect import insert_for
from bot.store.db import Database
from bot.store.enums import ChatPlatform, OutboxKind, Role
from bot.store.tables import ChatIdentity, OutboxMessage, Person, ScheduledRun

log = logging.getLogger(__name__)

DIGEST_JOB = "digest"
_DIGEST_PLATFORMS = (ChatPlatform.SLACK, ChatPlatform.TELEGRAM)


@dataclass(frozen=True, slots=True)
class Manager:
    id: int
    name: str
    language: str | None
    time_zone: str
    recipient: str | None  # the first chat account linked, None if none


@dataclass(frozen=True, slots=True)
class Due:
    manager: Manager
    period: str
    week: str
    moment: datetime


@dataclass(frozen=True, slots=True)
class TickReport:
    queued: list[str]
    skipped: list[str]


def period_key(person_id: int, week: str) -> str:
    return f"digest:{person_id}:{week}"


class DigestScheduler:
    def __init__(
        self,
        database: Database,
        clock: Clock,
        builder: DigestBuilder,
        schedule: WeeklySchedule,
        *,
        grace: timedelta,
        worker_id: str,
    ) -> None:
        self._database = database
        self._clock = clock
        self._builder = builder
        self._schedule = schedule
        self._grace = grace
        self._worker_id = worker_id

    async def tick(self) -> TickReport:
        """Queue every digest that is due now and not yet claimed by anyone."""
        now = self._clock.now()
        async with self._database.session() as session:
            dues = await self._unclaimed(session, await managers(session), now)
        report = TickReport([], [])
        late = [d for d in dues if now - d.moment > self._grace or d.manager.recipient is None]
        for due in late:
            if await self._claim(due, now, None):
                report.skipped.append(due.period)
                log.warning("digest %s skipped: %s", due.period, _why_skipped(due, now))
        timely = [d for d in dues if d not in late]
        if timely:
            async with self._database.session() as session:
                data = await self._builder.collect(session, now)
            for due in timely:
                if await self._claim(due, now, data):
                    report.queued.append(due.period)
        return report

    async def _unclaimed(
        self, session: AsyncSession, people: Sequence[Manager], now: datetime
    ) -> list[Due]:
        dues = []
        for manager in people:
            moment = self._schedule.last_due(now, manager.time_zone)
            week = iso_week(moment.date())
            dues.append(Due(manager, period_key(manager.id, week), week, moment))
        if not dues:
            return []
        claimed = set(
            await session.scalars(
                select(ScheduledRun.period).where(
                    ScheduledRun.job == DIGEST_JOB,
                    ScheduledRun.period.in_([d.period for d in dues]),
                )
            )
        )
        return [d for d in dues if d.period not in claimed]

    async def _claim(self, due: Due, now: datetime, data: DigestData | None) -> bool:
        """Claim ``due``'s period and, with ``data``, queue its digest; False if taken."""
        claimed_by = self._worker_id if data is not None else f"skipped by {self._worker_id}"
        async with self._database.session() as session:
            won = await session.scalar(
                insert_for(session, ScheduledRun)
                .values(job=DIGEST_JOB, period=due.period, claimed_at=now, claimed_by=claimed_by)
                .on_conflict_do_nothing()
                .returning(ScheduledRun.period)
            )
            if won is None:
                return False
            if data is not None and due.manager.recipient is not None:
                await session.execute(
                    insert_for(session, OutboxMessage)
                    .values(
                        kind=OutboxKind.DIGEST,
                        recipient=due.manager.recipient,
                        payload=digest_payload(due, data),
                        dedupe_key=due.period,
                        next_attempt_at=now,
                        created_at=now,
                    )
                    .on_conflict_do_nothing()
                )
            await session.commit()
        return True


def digest_payload(due: Due, data: DigestData) -> dict[str, object]:
    return {
        "type": "digest",
        "person_id": due.manager.id,
        "period": due.period,
        "week": due.week,
        "language": due.manager.language,
        "time_zone": due.manager.time_zone,
        "data": data.model_dump(mode="json"),
    }


def _why_skipped(due: Due, now: datetime) -> str:
    if due.manager.recipient is None:
        return f"{due.manager.name} has no Slack or Telegram account linked"
    hours = (now - due.moment).total_seconds() / 3600
    return f"it was due {hours:.1f} h ago, past the grace period"


async def managers(session: AsyncSession) -> list[Manager]:
    """Managers who want digests, with the chat account their digest goes to."""
    people = (
        await session.execute(
            select(Person.id, Person.name, Person.language, Person.time_zone)
            .where(Person.role == Role.MANAGER, Person.digest_enabled)
            .order_by(Person.id)
        )
    ).all()
    identities = (
        await session.execute(
            select(ChatIdentity.person_id, ChatIdentity.platform, ChatIdentity.platform_user_id)
            .where(
                ChatIdentity.person_id.in_([p.id for p in people]),
                ChatIdentity.platform.in_(_DIGEST_PLATFORMS),
            )
            .order_by(ChatIdentity.id)
        )
    ).all()
    first: dict[int, str] = {}
    for person_id, platform, user_id in identities:
        first.setdefault(person_id, f"{platform.value}:{user_id}")
    return [
        Manager(p.id, p.name, p.language and p.language.value, p.time_zone, first.get(p.id))
        for p in people
    ]
