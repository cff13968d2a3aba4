"""Housekeeping every replica may run: end expired overrides, forget old bookkeeping,
merge the name index a little.

Safe to run on several replicas at once: an override ends once (the account's version
check makes a second replica's attempt a no-op), and pruning only deletes old rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from bot.app import App

log = logging.getLogger(__name__)

EVERY_SECONDS = 60.0
KEEP_DELIVERIES = timedelta(days=7)  # platforms stop retrying long before this


async def run_maintenance(app: App, stop: asyncio.Event, every: float = EVERY_SECONDS) -> None:
    while not stop.is_set():
        await maintain_once(app)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)


async def maintain_once(app: App) -> None:
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
