"""The command menu Telegram shows when a person types ``/``, in English and Chinese.

Every command word and description comes from ``templates/replies/telegram.j2``
(translated through the gettext catalogs), so the menu speaks the person's language:
Telegram picks the list whose ``language_code`` matches the app's language and falls
back to the default list (English) otherwise.
"""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand
from telegram import error as ptb

from bot.conversation.texts import Texts, TextsCache

log = logging.getLogger(__name__)

# (Telegram language_code, our locale); "" is the list for every other language.
MENU_LANGUAGES = (("", "en"), ("zh", "zh"))
_DESCRIPTION_LIMIT = 256


def menu(texts: Texts) -> list[BotCommand]:
    return [
        BotCommand(field.label, field.value[:_DESCRIPTION_LIMIT])
        for field in texts.fields("telegram", "commands")
    ]


async def publish_commands(bot: Bot, texts: TextsCache) -> None:
    """Set the menu for each language; a failure is logged, since the bot works without it."""
    for language_code, locale in MENU_LANGUAGES:
        try:
            await bot.set_my_commands(menu(texts.get(locale)), language_code=language_code or None)
        except ptb.TelegramError as error:
            log.warning("could not set the %s command menu: %s", locale, error)
