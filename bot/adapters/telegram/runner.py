"""Run tierbot on Telegram: long polling by default, or a webhook server.

Polling needs no public address and suits one process; Telegram allows one
``getUpdates`` consumer per bot. A webhook suits several replicas behind a load
balancer: Telegram POSTs each update to ``webhook_url``, the server listens on that
URL's path, and a request without the secret header ``X-Telegram-Bot-Api-Secret-Token``
(TELEGRAM_WEBHOOK_SECRET) or with a wrong one is answered 403 and not processed.
Stopping one replica leaves the webhook registered for the others.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from telegram import error as ptb

from bot.adapters.heap import settle_after_startup
from bot.adapters.telegram.bot import (
    ALLOWED_UPDATES,
    TelegramApp,
    TelegramOptions,
    build_application,
)
from bot.adapters.telegram.commands import publish_commands
from bot.adapters.telegram.errors import TelegramSetupError
from bot.adapters.telegram.webhook import register, webhook_server
from bot.conversation.texts import TextsCache

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

DEFAULT_LISTEN = "0.0.0.0"  # inside a container the proxy reaches the bot from outside
DEFAULT_PORT = 8443
# Retries of deleteWebhook / setWebhook at start-up, for a network that is still coming up.
_BOOTSTRAP_RETRIES = 3


@dataclass(frozen=True, slots=True)
class Webhook:
    url: str  # the public URL Telegram posts to
    secret: str
    listen: str = DEFAULT_LISTEN
    port: int = DEFAULT_PORT

    @property
    def path(self) -> str:
        return urlsplit(self.url).path or "/"


def webhook_for(url: str, secret: str | None, listen: str, port: int) -> Webhook:
    if not secret:
        raise TelegramSetupError(
            "TELEGRAM_WEBHOOK_SECRET must be set in webhook mode (1-256 of A-Z a-z 0-9 _ -), "
            "so that only Telegram can post updates"
        )
    if urlsplit(url).scheme not in ("http", "https"):
        raise TelegramSetupError(f"--webhook-url must be an http(s) URL, not {url!r}")
    return Webhook(url, secret, listen, port)


@contextmanager
def _startup_errors() -> Iterator[None]:
    """What can go wrong while starting, said in terms of the settings to fix."""
    try:
        yield
    except ptb.InvalidToken as error:
        raise TelegramSetupError(
            "Telegram refused TELEGRAM_BOT_TOKEN; copy it again from BotFather"
        ) from error
    except ptb.TelegramError as error:
        raise TelegramSetupError(
            f"could not start on the Telegram Bot API (TELEGRAM_API_URL): {error}"
        ) from error
    except OSError as error:  # the webhook port is taken or not ours to open
        raise TelegramSetupError(f"could not listen for the webhook: {error}") from error


async def _start(
    application: TelegramApp, texts: TextsCache, webhook: Webhook | None, stack: AsyncExitStack
) -> None:
    await publish_commands(application.bot, texts)
    if webhook is None:
        updater = application.updater
        assert updater is not None  # ApplicationBuilder always makes one
        await updater.start_polling(
            allowed_updates=ALLOWED_UPDATES, bootstrap_retries=_BOOTSTRAP_RETRIES
        )
    else:
        # Listening first: Telegram may post as soon as the webhook is registered.
        await stack.enter_async_context(webhook_server(application, webhook))
        await register(application, webhook)
    await application.start()


async def _stop(application: TelegramApp) -> None:
    # Receiving stops first (the webhook server, left last, closes before this runs),
    # then the updates in hand are finished.
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()


@asynccontextmanager
async def serving(
    application: TelegramApp, texts: TextsCache, *, webhook: Webhook | None = None
) -> AsyncIterator[TelegramApp]:
    """Receive and handle updates inside the block; stop cleanly on the way out.

    Raises TelegramSetupError if the bot cannot start (wrong token, no network, port taken).
    """
    async with AsyncExitStack() as stack:
        with _startup_errors():
            await stack.enter_async_context(application)
            stack.push_async_callback(_stop, application)
            await _start(application, texts, webhook, stack)
        settle_after_startup()
        yield application


async def run_telegram(
    app: App,
    *,
    webhook_url: str | None = None,
    listen: str = DEFAULT_LISTEN,
    port: int = DEFAULT_PORT,
) -> None:
    """Serve Telegram until cancelled (Ctrl-C)."""
    # Opt in to python-telegram-bot's future timedelta periods now (RetryAfter.retry_after),
    # instead of a deprecation warning on every flood-control answer.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    settings = app.settings
    options = TelegramOptions.from_settings(settings)
    webhook = (
        webhook_for(webhook_url, settings.telegram_webhook_secret, listen, port)
        if webhook_url
        else None
    )
    application = build_application(options, app.conversation, app.texts)
    async with serving(application, app.texts, webhook=webhook):
        mode = f"webhook {webhook.url} on {listen}:{port}" if webhook else "long polling"
        log.info("Telegram: @%s, %s", application.bot.username, mode)
        await asyncio.Event().wait()
