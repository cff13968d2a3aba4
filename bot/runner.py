"""Run every chat adapter whose tokens are set, side by side, until interrupted."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

from bot.app import App
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
    if settings.telegram_enabled and not settings.telegram_bot_token:
        raise SetupError("TELEGRAM_BOT_TOKEN is empty")


async def run_adapters(app: App) -> None:
    settings = app.settings
    runs: list[Awaitable[None]] = []
    if settings.slack_enabled:
        from bot.adapters.slack.runner import run_slack

        runs.append(run_slack(app))
    if settings.telegram_enabled:
        from bot.adapters.telegram.runner import run_telegram

        runs.append(run_telegram(app))
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    log.info("tierbot running: %d adapter(s)", len(runs))
    await asyncio.gather(*runs)
