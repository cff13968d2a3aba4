"""What the bot does with a message or a pressed button: translate, ask the core, answer.

No decisions about accounts, roles or allowlists are made here; the conversation core
makes them all. This module only decides how an answer is shown on Telegram: a button
that moves a qualification forward replaces the question it was pressed on (the chat
then reads as one evolving question, and stale buttons disappear), every other answer
is a new message.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

from telegram import CallbackQuery, Update
from telegram import error as ptb
from telegram.ext import CallbackContext

from bot.adapters.telegram.errors import TelegramDeliveryError
from bot.adapters.telegram.sender import TelegramSender
from bot.adapters.telegram.translate import from_button, from_message
from bot.conversation.messages import ChatKind, IncomingMessage, Reply
from bot.conversation.texts import TextsCache
from bot.rendering.telegram_html import CallbackStore

log = logging.getLogger(__name__)

Context = CallbackContext[Any, Any, Any, Any]
# Buttons whose answer replaces the message they were pressed on: the steps of a qualification.
IN_PLACE_COMMANDS = ("qualify answer ", "qualify back", "qualify cancel", "qualify save")


class ConversationPort(Protocol):
    """The conversation core as the adapter sees it."""

    async def handle(self, message: IncomingMessage) -> list[Reply]: ...


def replaces_pressed_message(command: str, replies: Sequence[Reply]) -> bool:
    return len(replies) == 1 and command.startswith(IN_PLACE_COMMANDS)


class TelegramHandlers:
    def __init__(
        self,
        conversation: ConversationPort,
        texts: TextsCache,
        sender: TelegramSender,
        callbacks: CallbackStore,
    ) -> None:
        self.conversation = conversation
        self.texts = texts
        self.sender = sender
        self.callbacks = callbacks

    async def on_message(self, update: Update, context: Context) -> None:
        bot = context.bot
        incoming = from_message(update, bot_username=bot.username, bot_id=bot.id)
        if incoming is None or update.message is None:
            return
        replies = await self.conversation.handle(incoming)
        # In a group several people talk at once: answer the message that asked.
        asked = update.message.message_id if incoming.chat_kind is ChatKind.GROUP else None
        await self._send(update.message.chat_id, replies, reply_to=asked)

    async def on_button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        if query is None:
            return
        command = self.callbacks.resolve(query.data or "")
        if command is None:
            # A shortened command from before a restart: say so in a pop-up, change nothing.
            texts = self.texts.get(query.from_user.language_code)
            await _answer(query, texts("telegram", "button_expired"))
            return
        await _answer(query)  # stops the button's spinner while the core works
        incoming = from_button(update, command)
        if incoming is None or query.message is None:
            return
        replies = await self.conversation.handle(incoming)
        chat_id, message_id = query.message.chat.id, query.message.message_id
        if replaces_pressed_message(command, replies) and await self._replace(
            chat_id, message_id, replies[0]
        ):
            return
        await self._send(chat_id, replies)

    async def on_error(self, update: object, context: Context) -> None:
        log.error("error while handling a Telegram update", exc_info=context.error)

    async def _send(
        self, chat_id: int, replies: Sequence[Reply], reply_to: int | None = None
    ) -> None:
        try:
            await self.sender.send_replies(chat_id, replies, reply_to=reply_to)
        except TelegramDeliveryError as error:
            # Nobody to tell: the person blocked the bot, or Telegram kept refusing.
            log.warning("could not answer in chat %s (%s): %s", chat_id, error.reason, error)

    async def _replace(self, chat_id: int, message_id: int, reply: Reply) -> bool:
        try:
            return await self.sender.replace(chat_id, message_id, reply)
        except TelegramDeliveryError as error:
            log.warning("could not edit message %s in chat %s: %s", message_id, chat_id, error)
            return False


async def _answer(query: CallbackQuery, text: str | None = None) -> None:
    try:
        await query.answer(text, show_alert=text is not None)
    except ptb.TelegramError as error:
        # A redelivered or very old press can no longer be answered; the work still happens.
        log.info("could not answer button press %s: %s", query.id, error)
