"""Housekeeping every replica may run: end expired overrides, re-grade the accounts once
a day as their dated facts age, forget old bookkeeping, merge the name index a little.

Safe to run on several replicas at once: an override ends once (the account's version
check makes a second replica's attempt a no-op), the day's re-grading is claimed by one
replica, and pruning only deletes old rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from bot.app import App
from bot.delivery.runtime import worker_identity

log = logging.getLogger(__name__)

EVERY_SECONDS = 60.0
KEEP_DELIVERIES = timedelta(days=7)  # platforms stop retrying long before this


async def run_maintenance(app: App, stop: asyncio.Event, every: float = EVERY_SECONDS) -> None:
    worker_id = worker_identity()
    while not stop.is_set():
        await maintain_once(app, worker_id)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)


async def maintain_once(app: App, worker_id: str = "maintenance") -> None:
    try:
        ended = await app.service.expire_overrides()
        await app.service.prune_deliveries(KEEP_DELIVERIES)
        await app.service.prune_states()
        await app.service.tidy_name_index()
    except Exception:  # a failed round is retried next time; the bot keeps answering
        log.exception("maintenance round failed")
        return
    if ended:
        log.info("ended %d expired override(s)", ended)
    await _regrade(app, worker_id)


async def _regrade(app: App, worker_id: str) -> None:
    try:
        regraded = await app.service.regrade_once_today(worker_id)
    except Exception:  # what it wrote stands; tomorrow's pass re-grades the rest
        log.exception("re-grading as of today failed")
        return
    if regraded is not None:
        log.info(
            "re-graded %d account(s) as of today: %d scores moved, %d tiers (%d up, %d down)",
            regraded.accounts,
            regraded.rescored,
            regraded.changed,
            regraded.up,
            regraded.down,
        )
