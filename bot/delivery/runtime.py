"""The delivery worker and digest scheduler of one process, built from the app and run.

:func:`build_delivery` wires the parts from settings; :meth:`Delivery.run` loops until
asked to stop: a scheduler tick every ``tick_seconds``, and worker rounds back to
back while there is work, every ``poll_seconds`` when there is none. A failing round
(the database restarting, say) is logged and tried again; only a lost SQLite
single-worker lock ends the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock
from bot.conversation.texts import TextsCache
from bot.delivery.digest import DigestBuilder
from bot.delivery.errors import WorkerError
from bot.delivery.lock import SingleWorkerLock
from bot.delivery.models import ActiveModels
from bot.delivery.pacing import Pacer
from bot.delivery.schedule import QuietHours, WeeklySchedule
from bot.delivery.scheduler import DigestScheduler
from bot.delivery.senders import Sender
from bot.delivery.worker import OutboxWorker, WorkerOptions
from bot.settings import Settings
from bot.store.db import Database

log = logging.getLogger(__name__)

ERROR_PAUSE_SECONDS = 5.0


def worker_identity() -> str:
    """Host, pid and a random tag: unique even for two workers in one process."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True, slots=True)
class Delivery:
    worker: OutboxWorker
    scheduler: DigestScheduler
    lock: SingleWorkerLock
    poll_seconds: float = 1.0
    tick_seconds: float = 30.0

    async def run(self, stop: asyncio.Event) -> None:
        await self.lock.acquire()
        log.info("delivery worker %s started", self.lock.owner)
        loop = asyncio.get_running_loop()
        next_tick = loop.time()
        try:
            while not stop.is_set():
                busy = False
                try:
                    if loop.time() >= next_tick:
                        await self.lock.acquire()  # also the heartbeat
                        await self.scheduler.tick()
                        next_tick = loop.time() + self.tick_seconds
                    busy = (await self.worker.run_once()).claimed > 0
                except WorkerError:
                    raise
                except Exception:
                    log.exception("delivery round failed; trying again shortly")
                    await _wait(stop, ERROR_PAUSE_SECONDS)
                    continue
                if not busy:
                    await _wait(stop, self.poll_seconds)
        finally:
            await self.lock.release()
            log.info("delivery worker %s stopped", self.lock.owner)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def build_delivery(
    settings: Settings,
    database: Database,
    clock: Clock,
    texts: TextsCache,
    sender: Sender,
    *,
    pacing: bool = True,
    worker_id: str | None = None,
) -> Delivery:
    """Raises ScheduleError when the digest schedule or quiet hours cannot be read."""
    identity = worker_id or worker_identity()
    digests = DigestBuilder(ActiveModels(settings.model))
    options = WorkerOptions(
        summary_window=timedelta(seconds=settings.alert_summary_seconds),
        quiet_hours=QuietHours.parse(settings.quiet_hours),
    )
    worker = OutboxWorker(database, clock, sender, texts, digests, options, Pacer(enabled=pacing))
    scheduler = DigestScheduler(
        database, clock, digests, WeeklySchedule.parse(settings.digest_schedule),
        grace=timedelta(hours=settings.digest_grace_hours), worker_id=identity,
    )
    return Delivery(worker, scheduler, SingleWorkerLock(database, clock, identity))
