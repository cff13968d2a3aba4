"""The console chat: the same commands and replies as Slack and Telegram, as plain text.

A numbered choice under a reply can be picked by typing its number, as a button would
be pressed. This is also how a newcomer tries tierbot before connecting any chat.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import TextIO

from bot.conversation.core import Conversation
from bot.conversation.messages import ChatKind, IncomingMessage, Platform, Reply
from bot.rendering.plain import render_plain

CONSOLE_CHAT = "console"
_QUIT = frozenset({"quit", "exit", "q", "退出"})


class ConsoleChat:
    def __init__(self, conversation: Conversation, user: str, *, locale: str | None = None) -> None:
        self.conversation = conversation
        self.user = user
        self.locale = locale
        self._choices: dict[str, str] = {}

    def message(self, line: str) -> IncomingMessage:
        text = line.strip()
        pressed = self._choices.get(text)
        return IncomingMessage(
            platform=Platform.CONSOLE,
            user_id=self.user,
            chat_id=CONSOLE_CHAT,
            text=pressed if pressed is not None else text,
            chat_kind=ChatKind.PRIVATE,
            user_name=self.user,
            locale=self.locale,
            is_button=pressed is not None,
        )

    async def say(self, line: str) -> str:
        """Send one line as the person; return what the bot answers, as the console shows it."""
        replies = await self.conversation.handle(self.message(line))
        return self.render(replies)

    def render(self, replies: list[Reply]) -> str:
        self._choices = {}
        parts = []
        for reply in replies:
            rendering = render_plain(reply)
            parts.append(rendering.text)
            self._choices = dict(rendering.choices)  # the newest reply's choices are live
        return "\n\n".join(parts)

    async def run(self, read: Callable[[str], str] = input, out: TextIO | None = None) -> None:
        out = out or sys.stdout  # looked up now: the terminal may have been swapped (tests)
        out.write(await self.say("help") + "\n")
        while True:
            try:
                line = await asyncio.to_thread(read, "\n> ")
            except (EOFError, KeyboardInterrupt):
                out.write("\n")
                return
            if line.strip().casefold() in _QUIT:
                return
            if line.strip():
                out.write(await self.say(line) + "\n")
                out.flush()
