"""Run every chat adapter whose tokens are set, the delivery worker and housekeeping."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

from bot.app import App
from bot.maintenance import run_maintenance
from bot.settings import Settings

log = logging.getLogger(__name__)
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class SetupError(Exception):
    """An adapter cannot start as configured; the message names the variable to fix."""


def check_adapters(settings: Settings) -> None:
    """Fail before connecting anywhere if an enabled adapter lacks what it needs."""
    if settings.slack_enabled:
        from bot.adapters.slack.errors import SlackSetupError
        from bot.adapters.slack.runner import check_settings

        try:
            check_settings(settings, http=False)
        except SlackSetupError as error:
            raise SetupError(str(error)) from None


async def run_adapters(app: App) -> None:
    settings = app.settings
    stop = asyncio.Event()
    runs: list[Awaitable[None]] = [_delivery(app, stop), run_maintenance(app, stop)]
    if settings.slack_enabled:
        from bot.adapters.slack.runner import run_slack

        runs.append(run_slack(app))
    if settings.telegram_enabled:
        from bot.adapters.telegram.runner import run_telegram

        runs.append(run_telegram(app))
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    log.info("tierbot running: %d chat adapter(s), delivery worker, housekeeping", len(runs) - 2)
    try:
        await asyncio.gather(*runs)
    finally:
        stop.set()


async def _delivery(app: App, stop: asyncio.Event) -> None:
    from bot.delivery import run_delivery
    from bot.delivery.errors import WorkerLockHeld

    try:
        await run_delivery(app, stop=stop)
    except WorkerLockHeld as error:
        # SQLite allows one worker; this process still answers chats.
        log.warning("not sending alerts from this process: %s", error)
