"""Platform-neutral messages: what every adapter turns its payloads into and out of.

An adapter translates a Slack slash command, a Telegram update or a console line
into an :class:`IncomingMessage`, hands it to the conversation core, and renders
the :class:`Reply` it gets back in its own format (Block Kit, Telegram HTML, plain
text). Every text in a ``Reply`` is already translated but **not escaped**: the
renderer of each format escapes it, so user data can never become markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Platform(StrEnum):
    SLACK = "slack"
    TELEGRAM = "telegram"
    CONSOLE = "console"


class ChatKind(StrEnum):
    PRIVATE = "private"  # a DM with the bot, or the console
    GROUP = "group"  # a Slack channel or a Telegram group


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """One thing a person said or pressed, on any platform."""

    platform: Platform
    user_id: str  # the platform's own user id (Slack U…, Telegram numeric id, console name)
    chat_id: str
    text: str = ""  # typed text, or the command a pressed button stands for
    chat_kind: ChatKind = ChatKind.PRIVATE
    user_name: str | None = None
    locale: str | None = None  # the platform's language hint, e.g. "zh-hans", "en"
    team_id: str | None = None  # Slack workspace; None elsewhere
    is_button: bool = False  # True when ``text`` came from pressing a Button
    delivery_id: str | None = None  # platform id of this delivery, for de-duplication


class ButtonStyle(StrEnum):
    DEFAULT = "default"
    PRIMARY = "primary"
    DANGER = "danger"


@dataclass(frozen=True, slots=True)
class Button:
    """A choice the person can press; pressing it sends ``command`` as if typed."""

    label: str
    command: str
    style: ButtonStyle = ButtonStyle.DEFAULT


@dataclass(frozen=True, slots=True)
class Field:
    """A short label/value pair, shown side by side where the platform can."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Section:
    """A titled block of lines (reasons, playbook steps, a list of accounts)."""

    title: str | None
    lines: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Image:
    png: bytes
    alt_text: str
    filename: str = "chart.png"


class ReplyKind(StrEnum):
    INFO = "info"
    CARD = "card"
    QUESTION = "question"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Reply:
    """A structured answer that each adapter renders in its own format."""

    title: str | None = None
    kind: ReplyKind = ReplyKind.INFO
    fields: tuple[Field, ...] = ()
    sections: tuple[Section, ...] = ()
    buttons: tuple[Button, ...] = ()
    footer: str | None = None
    image: Image | None = None
    ephemeral: bool = True  # only the asker sees it, where the platform allows
    extra: dict[str, str] = field(default_factory=dict)  # adapter hints, never shown
