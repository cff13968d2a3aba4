"""Run every chat adapter whose tokens are set, side by side, until interrupted."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

from bot.app import App

log = logging.getLogger(__name__)


async def run_adapters(app: App) -> None:
    settings = app.settings
    runs: list[Awaitable[None]] = []
    if settings.slack_enabled:
        from bot.adapters.slack.runner import run_slack

        runs.append(run_slack(app))
    if settings.telegram_enabled:
        from bot.adapters.telegram.runner import run_telegram

        runs.append(run_telegram(app))
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    log.info("tierbot running: %d adapter(s)", len(runs))
    await asyncio.gather(*runs)
