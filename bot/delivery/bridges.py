"""The Slack and Telegram senders of the adapters, seen through the :class:`Sender` protocol.

The adapters' senders raise their own errors (``SlackDeliveryError``,
``TelegramDeliveryError``), each already saying ``retryable`` and ``retry_after``; the
bridges turn those into :class:`~bot.delivery.errors.DeliveryError` and nothing else
leaks. The chat libraries are imported only when a platform is configured.

Two choices differ from the adapters' interactive use:

* Slack's client gets no 429/5xx retry handlers here: the outbox retries with its own
  backoff, instead of a send slot sleeping through Retry-After.
* A reply's chart goes out after its text, best effort: if the upload fails once the
  text is out, the failure is logged and the message counts as sent, because retrying
  would post the text a second time.

Telegram's ``Bot`` talks through :class:`~bot.adapters.telegram.http.AiohttpRequest`
here as in the adapter: it stays cheap with many sends in flight.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Awaitable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING, Protocol, TypeVar

from bot.conversation.messages import Reply
from bot.delivery.errors import DeliveryError
from bot.delivery.senders import SLACK_PREFIXES, TELEGRAM_PREFIXES, Senders
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.adapters.slack.sender import SlackSender
    from bot.adapters.telegram.sender import TelegramSender

log = logging.getLogger(__name__)
T = TypeVar("T")
_CONNECTIONS = 16  # per platform: above the worker's default concurrency


class _PlatformError(Protocol):
    reason: str
    retryable: bool
    retry_after: float | None


def _translated(platform: str, error: _PlatformError) -> DeliveryError:
    return DeliveryError(
        f"{platform}: {error.reason}", retryable=error.retryable, retry_after=error.retry_after
    )


class SlackBridge:
    def __init__(self, sender: SlackSender) -> None:
        self._sender = sender

    async def send(self, recipient: str, reply: Reply) -> str:
        ts = await self._call(self._sender.send(recipient, dataclasses.replace(reply, image=None)))
        if reply.image is not None:
            image = reply.image
            await _best_effort(self._call(self._sender.upload_png(
                recipient, image.png, image.alt_text, filename=image.filename)), recipient)
        return ts

    async def send_image(self, recipient: str, png: bytes, caption: str) -> str:
        return await self._call(self._sender.upload_png(recipient, png, caption))

    @staticmethod
    async def _call(call: Awaitable[T]) -> T:
        from bot.adapters.slack.errors import SlackDeliveryError

        try:
            return await call
        except SlackDeliveryError as error:
            raise _translated("slack", error) from error


class TelegramBridge:
    def __init__(self, sender: TelegramSender) -> None:
        self._sender = sender

    async def send(self, recipient: str, reply: Reply) -> str:
        from bot.rendering.telegram_html import CALLBACK_DATA_LIMIT

        # A pushed message has no conversation to resolve shortened button data in, so
        # a button whose command does not fit in callback_data is left off.
        buttons = tuple(
            b for b in reply.buttons if len(b.command.encode()) <= CALLBACK_DATA_LIMIT
        )
        text = dataclasses.replace(reply, image=None, buttons=buttons)
        message_id = await self._call(self._sender.send(recipient, text))
        if reply.image is not None:
            image = reply.image
            await _best_effort(
                self._call(self._sender.send_png(recipient, image.png, image.alt_text)), recipient
            )
        return message_id

    async def send_image(self, recipient: str, png: bytes, caption: str) -> str:
        return await self._call(self._sender.send_png(recipient, png, caption))

    @staticmethod
    async def _call(call: Awaitable[T]) -> T:
        from bot.adapters.telegram.errors import TelegramDeliveryError

        try:
            return await call
        except TelegramDeliveryError as error:
            raise _translated("telegram", error) from error


async def _best_effort(call: Awaitable[str], recipient: str) -> None:
    try:
        await call
    except DeliveryError as error:
        log.warning("chart for %s not sent after its text went out: %s", recipient, error.reason)


@asynccontextmanager
async def platform_senders(settings: Settings) -> AsyncIterator[Senders]:
    """A router over every platform whose token is set; connections close on exit."""
    senders = Senders()
    async with AsyncExitStack() as stack:
        if settings.slack_enabled:
            senders.register(SLACK_PREFIXES, SlackBridge(await _slack(settings, stack)))
        if settings.telegram_enabled:
            senders.register(TELEGRAM_PREFIXES, TelegramBridge(await _telegram(settings, stack)))
        yield senders


async def _slack(settings: Settings, stack: AsyncExitStack) -> SlackSender:
    import aiohttp
    from slack_sdk.http_retry.builtin_async_handlers import AsyncConnectionErrorRetryHandler
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.adapters.slack.client import api_base_url, require_bot_token
    from bot.adapters.slack.sender import SlackSender

    # One session keeps connections to Slack open between messages.
    session = await stack.enter_async_context(aiohttp.ClientSession())
    client = AsyncWebClient(
        token=require_bot_token(settings),
        base_url=api_base_url(settings),
        session=session,
        retry_handlers=[AsyncConnectionErrorRetryHandler()],
    )
    return SlackSender(client)


async def _telegram(settings: Settings, stack: AsyncExitStack) -> TelegramSender:
    from telegram import Bot

    from bot.adapters.telegram.bot import TelegramOptions
    from bot.adapters.telegram.http import AiohttpRequest
    from bot.adapters.telegram.sender import TelegramSender

    options = TelegramOptions.from_settings(settings)
    root = options.api_url.rstrip("/")
    bot = Bot(options.token, base_url=f"{root}/bot", base_file_url=f"{root}/file/bot",
              request=AiohttpRequest(connections=_CONNECTIONS))
    await stack.enter_async_context(bot)
    return TelegramSender(bot)
