"""Telegram updates -> IncomingMessage, and which updates are for the bot at all.

Rules (the conversation core reads the same command language everywhere):

* ``/tier acme`` and ``/tier@ourbot acme`` become ``tier acme``; a command addressed to
  another bot (``/tier@otherbot``) is not ours.
* In a private chat every text is for the bot.
* In a group only commands, messages mentioning ``@ourbot`` (the mention is removed) and
  replies to the bot's own messages are; other chatter is ignored. With Telegram's
  default privacy mode a bot receives only these anyway; with privacy off it must not
  answer everything.
* A pressed button sends its command with ``is_button=True``.
* ``delivery_id`` is the ``update_id``: a webhook redelivery carries the same one, and
  the core handles each delivery once.
"""

from __future__ import annotations

import functools
import re

from telegram import Chat, Message, Update

from bot.conversation.messages import ChatKind, IncomingMessage, Platform


def chat_kind(chat: Chat) -> ChatKind:
    return ChatKind.PRIVATE if chat.type == Chat.PRIVATE else ChatKind.GROUP


_COMMAND = re.compile(r"/(?P<word>[^\s@]*)(?:@(?P<addressee>\S*))?(?P<rest>.*)", re.DOTALL)


def command_text(text: str, bot_username: str) -> str | None:
    """``/cmd@bot args`` -> ``cmd args``; None if the command is addressed to another bot."""
    match = _COMMAND.match(text)
    if match is None:
        return None
    addressee = match["addressee"]
    if addressee is not None and addressee.casefold() != bot_username.casefold():
        return None
    return f"{match['word']}{match['rest']}".strip()


@functools.cache  # one bot username per process
def _mention(bot_username: str) -> re.Pattern[str]:
    # The mention and the commas or colons around it: "acme, @bot?" -> "acme ?".
    return re.compile(rf"[\s,，]*(?<![\w@])@{re.escape(bot_username)}\b[\s,:，：]*", re.I)


def _replies_to_bot(message: Message, bot_id: int) -> bool:
    original = message.reply_to_message
    return bool(original and original.from_user and original.from_user.id == bot_id)


def addressed_text(message: Message, *, bot_username: str, bot_id: int) -> str | None:
    """What the person said to the bot, or None if the message is not for the bot."""
    text = (message.text or "").strip()
    if not text:
        return None
    if text.startswith("/"):
        return command_text(text, bot_username)
    if message.chat.type == Chat.PRIVATE:
        return text
    mention = _mention(bot_username)
    if mention.search(text):
        return mention.sub(" ", text, count=1).strip()
    return text if _replies_to_bot(message, bot_id) else None


def from_message(update: Update, *, bot_username: str, bot_id: int) -> IncomingMessage | None:
    """The IncomingMessage for a new text message, or None if it is not for the bot."""
    message = update.message
    if message is None or message.from_user is None:
        return None
    text = addressed_text(message, bot_username=bot_username, bot_id=bot_id)
    if text is None:
        return None
    user = message.from_user
    return IncomingMessage(
        platform=Platform.TELEGRAM,
        user_id=str(user.id),
        chat_id=str(message.chat.id),
        text=text,
        chat_kind=chat_kind(message.chat),
        user_name=user.full_name,
        locale=user.language_code,
        delivery_id=str(update.update_id),
    )


def from_button(update: Update, command: str) -> IncomingMessage | None:
    """The IncomingMessage for a pressed button whose command is ``command``.

    None for a button on a message the bot cannot see (inline mode, which tierbot does not use).
    """
    query = update.callback_query
    if query is None or query.message is None:
        return None
    chat = query.message.chat
    return IncomingMessage(
        platform=Platform.TELEGRAM,
        user_id=str(query.from_user.id),
        chat_id=str(chat.id),
        text=command,
        chat_kind=chat_kind(chat),
        user_name=query.from_user.full_name,
        locale=query.from_user.language_code,
        is_button=True,
        delivery_id=str(update.update_id),
    )
