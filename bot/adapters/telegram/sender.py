"""Sending Replies to Telegram: HTML text, inline keyboards, photos, edits in place.

Used for answers in a conversation and, through :meth:`TelegramSender.send`, for alerts
the delivery worker sends to ``telegram:<user id>`` (a private chat has the user's id)
or ``telegram-chat:<chat id>`` (a group, or ``@channelname``).

A reply longer than one message is sent as several, in order; the keyboard is on the
last. Sending is at-least-once: if part two of three fails and the caller retries, part
one is sent again. Every python-telegram-bot error leaves as a
:class:`~bot.adapters.telegram.errors.TelegramDeliveryError`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
)
from telegram import error as ptb
from telegram.constants import MessageLimit, ParseMode

from bot.adapters.telegram.errors import (
    InvalidRecipientError,
    TelegramDeliveryError,
    delivery_error,
)
from bot.conversation.messages import Reply
from bot.rendering.telegram_html import (
    CallbackDataTooLongError,
    Shortener,
    TelegramMessage,
    render_telegram,
)

ChatId = int | str
_RECIPIENT = re.compile(r"telegram(?P<group>-chat)?:(?P<chat>-?\d+|@\w{4,})")
# Account pages and CRM links in replies would otherwise unfold into large previews.
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def chat_for(recipient: str) -> ChatId:
    """The chat id in ``telegram:<user id>`` or ``telegram-chat:<chat id or @channel>``."""
    match = _RECIPIENT.fullmatch(recipient.strip())
    if match is None or (match["chat"].startswith("@") and not match["group"]):
        raise InvalidRecipientError(recipient)
    chat = match["chat"]
    return chat if chat.startswith("@") else int(chat)


def keyboard(message: TelegramMessage) -> InlineKeyboardMarkup | None:
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data) for label, data in row]
            for row in message.buttons
        ]
    )


def _is_not_modified(error: ptb.BadRequest) -> bool:
    return "message is not modified" in error.message.casefold()


@asynccontextmanager
async def _translated_errors() -> AsyncIterator[None]:
    try:
        yield
    except ptb.TelegramError as error:
        raise delivery_error(error) from error


class TelegramSender:
    """Renders Replies with :func:`render_telegram` and sends them with ``bot``."""

    def __init__(self, bot: Bot, *, shorten: Shortener | None = None) -> None:
        self.bot = bot
        self.shorten = shorten

    async def send(self, recipient: str, reply: Reply) -> str:
        """Send ``reply`` to ``recipient``; the message_id of its last message."""
        sent = await self.send_replies(chat_for(recipient), [reply])
        if not sent:
            raise TelegramDeliveryError(
                "the reply has nothing to show", retryable=False, reason="empty_reply"
            )
        return str(sent[-1].message_id)

    async def send_png(self, recipient: str, png: bytes, caption: str | None = None) -> str:
        """Send a PNG image with a plain-text caption; its message_id."""
        message = await self._photo(chat_for(recipient), png, caption, "chart.png")
        return str(message.message_id)

    async def send_replies(
        self, chat_id: ChatId, replies: Sequence[Reply], *, reply_to: int | None = None
    ) -> list[Message]:
        """Send every reply in order (text parts, then its image); the messages sent.

        ``reply_to``: the message the first part answers (used in groups, where several
        people talk at once); it is sent even if that message was deleted meanwhile.
        """
        sent: list[Message] = []
        for reply in replies:
            for part in self.render(reply):
                sent.append(await self._text(chat_id, part, None if sent else reply_to))
            if reply.image is not None:
                image = reply.image
                sent.append(await self._photo(chat_id, image.png, image.alt_text, image.filename))
        return sent

    async def replace(self, chat_id: ChatId, message_id: int, reply: Reply) -> bool:
        """Show ``reply`` in place of message ``message_id``.

        False when it cannot be done - the reply needs several messages or an image, or
        Telegram refuses the edit (the message is too old, or gone) - and the caller
        should send it as new messages instead.
        """
        parts = self.render(reply)
        if len(parts) != 1 or reply.image is not None:
            return False
        try:
            await self.bot.edit_message_text(
                parts[0].text,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard(parts[0]),
                link_preview_options=_NO_PREVIEW,
            )
        except ptb.BadRequest as error:
            # Pressing the same button twice asks for the same text: nothing to change.
            return _is_not_modified(error)
        except ptb.TelegramError as error:
            raise delivery_error(error) from error
        return True

    def render(self, reply: Reply) -> list[TelegramMessage]:
        try:
            return render_telegram(reply, shorten=self.shorten)
        except CallbackDataTooLongError as error:
            # Without a shortener (a sender outside the bot's process) a button's command
            # must fit in 64 bytes; sending again would fail the same way.
            raise TelegramDeliveryError(
                str(error), retryable=False, reason="button_too_long"
            ) from error

    async def _text(self, chat_id: ChatId, part: TelegramMessage, reply_to: int | None) -> Message:
        answered = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
        async with _translated_errors():
            return await self.bot.send_message(
                chat_id,
                part.text,
                parse_mode=ParseMode.HTML,
                reply_markup=keyboard(part),
                link_preview_options=_NO_PREVIEW,
                reply_parameters=answered,
            )

    async def _photo(
        self, chat_id: ChatId, png: bytes, caption: str | None, filename: str
    ) -> Message:
        # No parse_mode: the caption is shown exactly as given, whatever it contains.
        text = (caption or "")[: MessageLimit.CAPTION_LENGTH] or None
        async with _translated_errors():
            return await self.bot.send_photo(chat_id, png, caption=text, filename=filename)
