"""``tierbot run slack``: receive Slack requests over Socket Mode (default) or HTTP.

Socket Mode needs no public URL: the app opens a websocket to Slack with the app-level
token (SLACK_APP_TOKEN). HTTP mode serves ``POST /slack/events`` for slash commands,
interactivity and events alike; bolt checks every request's signature with
SLACK_SIGNING_SECRET and answers 401, running nothing, if it is wrong or more than five
minutes old. Several replicas can run side by side in either mode: every answer is
computed from the shared database.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from bot.adapters.heap import settle_after_startup
from bot.adapters.slack.app import slack_adapter
from bot.adapters.slack.client import require_app_token, require_bot_token, require_signing_secret
from bot.app import App
from bot.settings import Settings

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


def check_settings(settings: Settings, *, http: bool) -> None:
    """Raise SlackSetupError naming the variable a mode needs and lacks, before connecting."""
    require_bot_token(settings)
    if http:
        require_signing_secret(settings)
    else:
        require_app_token(settings)


@asynccontextmanager
async def serve_http(bolt: AsyncApp, host: str, port: int) -> AsyncIterator[int]:
    """Serve the app's endpoint; yield the bound port (useful with port 0)."""
    runner = web.AppRunner(bolt.web_app(path=EVENTS_PATH), access_log=None, shutdown_timeout=5.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        settle_after_startup()
        yield int(runner.addresses[0][1])
    finally:
        await runner.cleanup()


@asynccontextmanager
async def socket_mode(bolt: AsyncApp, app_token: str) -> AsyncIterator[AsyncSocketModeHandler]:
    handler = AsyncSocketModeHandler(bolt, app_token)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    settle_after_startup()
    try:
        yield handler
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]


async def run_slack(
    app: App, *, http: bool = False, host: str = "0.0.0.0", port: int = 3000
) -> None:
    """Answer Slack until cancelled (Ctrl-C); then finish the answers under way."""
    settings = app.settings
    check_settings(settings, http=http)
    async with slack_adapter(app.conversation, app.texts, settings) as adapter:
        if http:
            async with serve_http(adapter.bolt, host, port) as bound:
                log.info("Slack: listening on http://%s:%d%s", host, bound, EVENTS_PATH)
                await _forever()
        else:
            async with socket_mode(adapter.bolt, require_app_token(settings)):
                log.info("Slack: connected in Socket Mode")
                await _forever()


async def _forever() -> None:
    await asyncio.Event().wait()
