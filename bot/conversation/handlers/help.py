"""``help``: what the bot can do, in the person's language."""

from __future__ import annotations

from bot.conversation.messages import Button, Reply, Section
from bot.conversation.parser import Command
from bot.conversation.turn import Turn


async def help_reply(turn: Turn, command: Command) -> Reply:
    texts = turn.texts
    sections = [
        Section(texts("help", "reading_title"), texts.lines("help", "reading")),
        Section(texts("help", "writing_title"), texts.lines("help", "writing")),
        Section(texts("help", "settings_title"), texts.lines("help", "settings")),
    ]
    return Reply(
        title=texts("help", "title"),
        sections=tuple(sections),
        buttons=(Button("mine", "mine"), Button("review", "review"), Button("qualify", "qualify")),
        footer=texts("help", "footer"),
    )
