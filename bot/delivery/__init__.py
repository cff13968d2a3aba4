"""Delivery: the outbox worker, the weekly digest scheduler, retries and rate limits.

The service layer writes outbox rows in the same transaction as the change they
report; this package sends them through the chat platforms, at least once and
marked when possibly twice (:mod:`bot.delivery.claims`), and queues each manager's
weekly digest exactly once across replicas (:mod:`bot.delivery.scheduler`).

Start it with :func:`run_delivery` next to the chat adapters (``tierbot run``) or on
its own (``tierbot worker``).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)


async def run_delivery(app: App, *, stop: asyncio.Event | None = None) -> None:
    """Send outbox messages and queue digests until ``stop`` is set (or the task is cancelled).

    Without a Slack or Telegram token there is nowhere to deliver: messages stay
    pending, untouched, until a platform is configured.
    Raises WorkerLockHeld on SQLite when another worker already runs, and
    ScheduleError when TIERBOT_DIGEST_SCHEDULE or TIERBOT_QUIET_HOURS is malformed.
    """
    from bot.delivery.bridges import platform_senders
    from bot.delivery.runtime import build_delivery

    stop = stop or asyncio.Event()
    async with platform_senders(app.settings) as senders:
        delivery = build_delivery(app.settings, app.database, app.clock, app.texts, senders)
        if not senders.prefixes:
            log.warning("no SLACK_BOT_TOKEN or TELEGRAM_BOT_TOKEN: outbox messages wait")
            await stop.wait()
            return
        await delivery.run(stop)
