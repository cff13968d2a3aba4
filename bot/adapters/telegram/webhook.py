"""Telegram's webhook served by aiohttp, the way python-telegram-bot documents for a web
framework of one's own: check the request, build the Update, put it on the
application's update queue.

PTB's built-in webhook server (tornado, whose HTTP parsing is pure Python) cost more
CPU per update than tierbot's whole handling of a ``/tier`` question; aiohttp, which
the bot already uses to call the Bot API, parses in C. Answers are PTB's: 403 without
``Content-Type: application/json`` or without the right secret header (compared in
constant time), 400 for a body that is not an update, 200 once the update is queued.
The path is the webhook URL's, with or without a trailing slash.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from aiohttp import web
from telegram import Update
from telegram import error as ptb
from telegram.ext import ExtBot

from bot.adapters.telegram.bot import ALLOWED_UPDATES, TelegramApp

if TYPE_CHECKING:
    from bot.adapters.telegram.runner import Webhook

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1 << 20  # an update is a few kB; Telegram's largest are far below this
# Attempts at setWebhook at start-up, for a network that is still coming up.
REGISTER_ATTEMPTS = 4
REGISTER_PAUSE = 1.0  # seconds between them


class _Receiver:
    def __init__(self, application: TelegramApp, secret: str) -> None:
        self.application = application
        self.secret = secret.encode()

    async def receive(self, request: web.Request) -> web.Response:
        if request.content_type != "application/json":
            return web.Response(status=403)
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            log.warning("refused a webhook request without the right secret token")
            return web.Response(status=403)
        try:
            data = json.loads(await request.read())
            update = Update.de_json(data, self.application.bot)
        except Exception:  # PTB's server answers 400 to whatever it cannot read, and so here
            log.exception("refused a webhook request that is not an update")
            return web.Response(status=400, text="Update could not be processed")
        bot = self.application.bot
        if isinstance(bot, ExtBot):
            bot.insert_callback_data(update)  # as PTB's own server does
        await self.application.update_queue.put(update)
        return web.Response()


@asynccontextmanager
async def webhook_server(application: TelegramApp, webhook: Webhook) -> AsyncIterator[None]:
    """Serve ``webhook`` for ``application`` inside the block (the caller registers it)."""
    receiver = _Receiver(application, webhook.secret)
    app = web.Application(client_max_size=MAX_BODY)
    path = webhook.path.rstrip("/") or "/"
    app.router.add_post(path, receiver.receive)
    if path != "/":
        app.router.add_post(path + "/", receiver.receive)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        await web.TCPSite(runner, webhook.listen, webhook.port).start()
        yield
    finally:
        await runner.cleanup()


async def register(application: TelegramApp, webhook: Webhook) -> None:
    """Tell Telegram where to post updates and with which secret, retrying a network that
    is still coming up; a refusal (wrong token, bad URL) is raised at once."""
    for attempt in range(1, REGISTER_ATTEMPTS + 1):
        try:
            await application.bot.set_webhook(
                url=webhook.url, allowed_updates=ALLOWED_UPDATES, secret_token=webhook.secret
            )
            return
        except (ptb.NetworkError, ptb.TimedOut) as error:
            if isinstance(error, ptb.BadRequest) or attempt == REGISTER_ATTEMPTS:
                raise
            log.warning("setWebhook failed (%s); trying again", error)
            await asyncio.sleep(REGISTER_PAUSE)
