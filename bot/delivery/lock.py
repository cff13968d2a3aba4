"""One delivery worker per SQLite database.

SQLite has no ``SKIP LOCKED`` and no advisory locks, so two workers could claim the
same rows. The worker that starts first writes a lock row into ``scheduled_runs``
(job :data:`LOCK_JOB`) and refreshes its ``claimed_at`` as a heartbeat; a second
worker refuses to start with :class:`~bot.delivery.errors.WorkerLockHeld` while the
heartbeat is fresh, and takes the lock over once it is older than ``stale_after``
(the first worker died without releasing it). PostgreSQL needs none of this: its
claims are safe with any number of workers.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.delivery.errors import WorkerLockHeld
from bot.service.dialect import insert_for
from bot.store.db import Database
from bot.store.tables import ScheduledRun

LOCK_JOB = "delivery-worker-lock"
LOCK_PERIOD = "sqlite"


class SingleWorkerLock:
    def __init__(
        self, database: Database, clock: Clock, owner: str,
        stale_after: timedelta = timedelta(minutes=2),
    ) -> None:
        self._database = database
        self._clock = clock
        self.owner = owner
        self.stale_after = stale_after

    @property
    def needed(self) -> bool:
        return self._database.dialect == "sqlite"

    async def acquire(self) -> None:
        """Take the lock (or refresh it); raise WorkerLockHeld if another live worker has it."""
        if not self.needed:
            return
        now = self._clock.now()
        async with self._database.session() as session:
            taken = await session.execute(
                update(ScheduledRun)
                .where(
                    ScheduledRun.job == LOCK_JOB, ScheduledRun.period == LOCK_PERIOD,
                    or_(ScheduledRun.claimed_by == self.owner,
                        ScheduledRun.claimed_at < now - self.stale_after),
                )
                .values(claimed_by=self.owner, claimed_at=now)
            )
            if not getattr(taken, "rowcount", 0):
                inserted = await session.scalar(
                    insert_for(session, ScheduledRun)
                    .values(job=LOCK_JOB, period=LOCK_PERIOD, claimed_by=self.owner, claimed_at=now)
                    .on_conflict_do_nothing()
                    .returning(ScheduledRun.job)
                )
                if inserted is None:
                    holder = await self._holder(session)
                    await session.rollback()
                    raise WorkerLockHeld(_refusal(holder, now))
            await session.commit()

    async def release(self) -> None:
        if not self.needed:
            return
        async with self._database.session() as session:
            await session.execute(
                delete(ScheduledRun).where(
                    ScheduledRun.job == LOCK_JOB, ScheduledRun.period == LOCK_PERIOD,
                    ScheduledRun.claimed_by == self.owner,
                )
            )
            await session.commit()

    @staticmethod
    async def _holder(session: AsyncSession) -> tuple[str, datetime] | None:
        row = (
            await session.execute(
                select(ScheduledRun.claimed_by, ScheduledRun.claimed_at).where(
                    ScheduledRun.job == LOCK_JOB, ScheduledRun.period == LOCK_PERIOD
                )
            )
        ).first()
        return (row.claimed_by, row.claimed_at) if row is not None else None


def _refusal(holder: tuple[str, datetime] | None, now: datetime) -> str:
    who = "another delivery worker"
    if holder is not None:
        seconds = max(int((now - holder[1]).total_seconds()), 0)
        who = f"the delivery worker {holder[0]} (seen {seconds} s ago)"
    return (
        f"{who} is already sending from this SQLite database. SQLite allows one worker: "
        "stop the other one (`tierbot run` includes a worker), or use PostgreSQL to run "
        "several replicas."
    )
