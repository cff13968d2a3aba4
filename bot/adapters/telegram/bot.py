"""Build the python-telegram-bot Application for tierbot.

The Application holds no state of its own worth keeping: no persistence, no
ConversationHandler, no JobQueue. Qualification state lives in the database through
the conversation core, so a restart or another replica continues where a person was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ExtBot,
    MessageHandler,
    filters,
)

from bot.adapters.telegram.errors import TelegramSetupError
from bot.adapters.telegram.handlers import ConversationPort, TelegramHandlers
from bot.adapters.telegram.http import AiohttpRequest
from bot.adapters.telegram.processor import PerChatUpdateProcessor
from bot.adapters.telegram.ratelimit import TELEGRAM_FLOOD_LIMITS, FloodLimiter, FloodLimits
from bot.adapters.telegram.sender import TelegramSender
from bot.conversation.texts import TextsCache
from bot.rendering.telegram_html import InMemoryCallbackStore
from bot.settings import Settings

TelegramApp = Application[Any, Any, Any, Any, Any, Any]
_SENDER = "tierbot.sender"  # bot_data key of the Application's TelegramSender

DEFAULT_API_URL = "https://api.telegram.org"
# Updates of this many chats are handled at once; one chat's updates wait for each other.
CONCURRENT_UPDATES = 64
# Only these update types are requested from Telegram; others never reach the bot.
ALLOWED_UPDATES = (Update.MESSAGE, Update.CALLBACK_QUERY)


@dataclass(frozen=True, slots=True)
class TelegramOptions:
    """``api_url``: the Bot API root (a self-hosted Bot API server is addressed the same way).

    ``flood_limits``: Telegram's flood limits, applied before sending (see ``ratelimit``);
    None turns them off, which only makes sense against a local fake Bot API.
    """

    token: str
    api_url: str = DEFAULT_API_URL
    flood_limits: FloodLimits | None = TELEGRAM_FLOOD_LIMITS
    concurrent_updates: int = CONCURRENT_UPDATES

    @classmethod
    def from_settings(cls, settings: Settings) -> TelegramOptions:
        if not settings.telegram_bot_token:
            raise TelegramSetupError("TELEGRAM_BOT_TOKEN is not set; BotFather gives it")
        return cls(token=settings.telegram_bot_token, api_url=settings.telegram_api_url)


def _urls(options: TelegramOptions) -> tuple[str, str]:
    """Bot API and file URLs; python-telegram-bot appends the token to each."""
    root = options.api_url.rstrip("/")
    return f"{root}/bot", f"{root}/file/bot"


def build_bot(options: TelegramOptions) -> ExtBot[Any]:
    """A Bot for sending outside a conversation (alerts, digests), under the same limits.

    Use it as ``async with build_bot(options) as bot: TelegramSender(bot)``.
    """
    base_url, base_file_url = _urls(options)
    limiter = FloodLimiter(options.flood_limits) if options.flood_limits is not None else None
    return ExtBot(
        options.token, base_url=base_url, base_file_url=base_file_url, rate_limiter=limiter
    )


def _builder(options: TelegramOptions) -> ApplicationBuilder[Any, Any, Any, Any, Any, Any]:
    base_url, base_file_url = _urls(options)
    builder: ApplicationBuilder[Any, Any, Any, Any, Any, Any] = (
        ApplicationBuilder()
        .token(options.token)
        .base_url(base_url)
        .base_file_url(base_file_url)
        .job_queue(None)
        .concurrent_updates(PerChatUpdateProcessor(options.concurrent_updates))
        # Answers go out through aiohttp: httpx's pool costs more CPU than the request
        # once many chats are answered at once. Polling keeps PTB's own long-poll client.
        .request(AiohttpRequest(connections=options.concurrent_updates))
    )
    if options.flood_limits is not None:
        builder = builder.rate_limiter(FloodLimiter(options.flood_limits))
    return builder


def build_application(
    options: TelegramOptions, conversation: ConversationPort, texts: TextsCache
) -> TelegramApp:
    """The Application with tierbot's handlers; start it with ``runner.serving``."""
    application: TelegramApp = _builder(options).build()
    callbacks = InMemoryCallbackStore()
    sender = TelegramSender(application.bot, shorten=callbacks.shorten)
    handlers = TelegramHandlers(conversation, texts, sender, callbacks)
    application.bot_data[_SENDER] = sender
    # filters.UpdateType.MESSAGE: edits of old messages are not new requests.
    application.add_handler(
        MessageHandler(filters.TEXT & filters.UpdateType.MESSAGE, handlers.on_message)
    )
    application.add_handler(CallbackQueryHandler(handlers.on_button))
    application.add_error_handler(handlers.on_error)
    return application


def sender_of(application: TelegramApp) -> TelegramSender:
    """The Application's own sender: alerts sent with it share its buttons' store and limits."""
    sender = application.bot_data[_SENDER]
    assert isinstance(sender, TelegramSender)
    return sender
