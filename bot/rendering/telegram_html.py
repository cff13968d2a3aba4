"""Telegram rendering of a Reply: HTML text (``parse_mode="HTML"``) and an inline keyboard.

Layout: bold title; ``<b>label</b>: value`` fields; sections with a bold title
and ``•`` lines (an untitled section is running text); italic footer. All text
is escaped, so user data never becomes a tag.

Length: Telegram takes at most 4096 characters per message. Longer replies are
split between lines; a single longer line is cut at a space where possible,
never inside a tag or an entity, closing open tags at the end of one part and
reopening them at the start of the next. Lengths are counted in UTF-16 code
units (at least the character count), so every part is under the limit however
Telegram counts. The keyboard goes on the last part.

Buttons: ``callback_data`` may hold 1-64 bytes of UTF-8. A longer command is
replaced by what ``shorten(command)`` returns - typically
:meth:`InMemoryCallbackStore.shorten`, whose :meth:`~InMemoryCallbackStore.resolve`
turns the token back into the command when the button is pressed. Without a
``shorten`` a long command raises :class:`CallbackDataTooLongError`.
The reply's image is not part of the text; the adapter sends it as a photo.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.conversation.messages import Button, Reply
from bot.rendering.escaping import clean_text, escape_telegram_html
from bot.rendering.plain import display_width

TEXT_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64  # bytes of UTF-8
MAX_BUTTONS_PER_ROW = 3
# Telegram shrinks labels to fit a row; past these widths (in terminal columns,
# CJK = 2) they would be cut off on a phone screen.
LONG_LABEL_WIDTH = 20
ROW_WIDTH = 36
BULLET = "• "
EMPTY_TEXT = "…"  # Telegram refuses a keyboard without text

KeyboardRow = list[tuple[str, str]]  # (label, callback_data)
Shortener = Callable[[str], str]


@dataclass(frozen=True, slots=True)
class TelegramMessage:
    text: str  # HTML for parse_mode="HTML"
    buttons: list[KeyboardRow] = field(default_factory=list)


class CallbackDataTooLongError(ValueError):
    """A button's command does not fit in callback_data and nothing can shorten it."""


class CallbackStore(Protocol):
    """Maps commands too long for callback_data to short tokens and back."""

    def shorten(self, command: str) -> str: ...

    def resolve(self, callback_data: str) -> str | None:
        """The command a pressed button stands for; None if the token is unknown."""
        ...


class InMemoryCallbackStore:
    """A bounded, per-process CallbackStore.

    Tokens are derived from the command, so the same command always gets the same
    token. They are forgotten on restart or when the store is full, and
    :meth:`resolve` then returns None: the adapter should ask the person to
    repeat the request.
    """

    PREFIX = "tb:"

    def __init__(self, max_entries: int = 10_000) -> None:
        self._max_entries = max_entries
        self._commands: OrderedDict[str, str] = OrderedDict()

    def shorten(self, command: str) -> str:
        digest = hashlib.sha256(command.encode("utf-8")).digest()[:15]
        token = self.PREFIX + base64.urlsafe_b64encode(digest).decode("ascii")
        self._commands[token] = command
        self._commands.move_to_end(token)
        while len(self._commands) > self._max_entries:
            self._commands.popitem(last=False)
        return token

    def resolve(self, callback_data: str) -> str | None:
        if not callback_data.startswith(self.PREFIX):
            return callback_data
        command = self._commands.get(callback_data)
        if command is not None:
            self._commands.move_to_end(callback_data)
        return command


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _text_size(text: str) -> int:
    # Telegram measures text in UTF-16 code units; an astral character (most
    # emoji) counts twice.
    return len(text.encode("utf-16-le")) // 2


def callback_data_for(command: str, shorten: Shortener | None = None) -> str:
    """``command`` itself if it fits in callback_data, else ``shorten(command)``."""
    if not command:
        raise ValueError("a button needs a non-empty command")
    if _utf8_len(command) <= CALLBACK_DATA_LIMIT:
        return command
    if shorten is None:
        raise CallbackDataTooLongError(
            f"command is {_utf8_len(command)} bytes, callback_data holds {CALLBACK_DATA_LIMIT}; "
            "pass shorten= (e.g. InMemoryCallbackStore().shorten)"
        )
    data = shorten(command)
    if not 0 < _utf8_len(data) <= CALLBACK_DATA_LIMIT:
        raise CallbackDataTooLongError(
            f"shorten() returned {_utf8_len(data)} bytes; callback_data holds "
            f"1-{CALLBACK_DATA_LIMIT}"
        )
    return data


def _keyboard(buttons: Sequence[Button], shorten: Shortener | None) -> list[KeyboardRow]:
    rows: list[KeyboardRow] = []
    row: KeyboardRow = []
    row_width = 0
    for button in buttons:
        label = clean_text(button.label) or button.command
        key = (label, callback_data_for(button.command, shorten))
        width = display_width(label)
        if width > LONG_LABEL_WIDTH:
            if row:
                rows.append(row)
            rows.append([key])
            row, row_width = [], 0
            continue
        if row and (len(row) == MAX_BUTTONS_PER_ROW or row_width + width > ROW_WIDTH):
            rows.append(row)
            row, row_width = [], 0
        row.append(key)
        row_width += width
    if row:
        rows.append(row)
    return rows


def _elements(reply: Reply) -> list[str]:
    """Complete HTML fragments, one per line of output; "" marks a blank line."""
    groups: list[list[str]] = []
    head: list[str] = []
    if title := clean_text(reply.title):
        head.append(f"<b>{escape_telegram_html(title)}</b>")
    for item in reply.fields:
        label = escape_telegram_html(clean_text(item.label))
        value = escape_telegram_html(clean_text(item.value))
        if label and value:
            head.append(f"<b>{label}</b>: {value}")
        elif label or value:
            head.append(f"<b>{label}</b>" if label else value)
    groups.append(head)
    for section in reply.sections:
        lines: list[str] = []
        if section_title := clean_text(section.title):
            lines.append(f"<b>{escape_telegram_html(section_title)}</b>")
            lines.extend(BULLET + escape_telegram_html(line) for line in section.lines)
        else:
            lines.extend(escape_telegram_html(line) for line in section.lines)
        groups.append(lines)
    if footer := clean_text(reply.footer):
        groups.append([f"<i>{escape_telegram_html(footer)}</i>"])
    elements: list[str] = []
    for group in groups:
        if group:
            if elements:
                elements.append("")
            elements.extend(group)
    return elements


_TOKEN_RE = re.compile(r"<[^>]*>|&#?[A-Za-z0-9]+;|.", re.DOTALL)
_TAG_NAME_RE = re.compile(r"</?([A-Za-z][A-Za-z0-9-]*)")


def _after_token(token: str, open_tags: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The stack of (name, opening tag) still open after ``token``."""
    if not token.startswith("<"):
        return open_tags
    match = _TAG_NAME_RE.match(token)
    if match is None:
        return open_tags
    name = match.group(1).lower()
    if token.startswith("</"):
        for index in range(len(open_tags) - 1, -1, -1):
            if open_tags[index][0] == name:
                return open_tags[:index]
        return open_tags
    return [*open_tags, (name, token)]


def _closing(open_tags: list[tuple[str, str]]) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(open_tags))


def split_html_line(fragment: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut one HTML fragment into balanced parts of at most ``limit`` units.

    Cuts fall after whitespace when that keeps a part at least half full,
    otherwise between any two characters; never inside a tag or an entity.
    """
    tokens = _TOKEN_RE.findall(fragment)
    parts: list[str] = []
    open_tags: list[tuple[str, str]] = []
    start = 0
    while start < len(tokens):
        reopen = "".join(tag for _, tag in open_tags)
        size = _text_size(reopen)
        stack = open_tags
        end = start
        last_break: tuple[int, list[tuple[str, str]]] | None = None
        while end < len(tokens):
            token = tokens[end]
            after = _after_token(token, stack)
            if size + _text_size(token) + _text_size(_closing(after)) > limit:
                break
            size += _text_size(token)
            stack = after
            end += 1
            if token.isspace():
                last_break = (end, stack)
        if end == start:
            raise ValueError(f"limit {limit} is too small for {tokens[start]!r} and its tags")
        if end < len(tokens) and last_break is not None and last_break[0] > (start + end) // 2:
            end, stack = last_break
        parts.append(reopen + "".join(tokens[start:end]) + _closing(stack))
        open_tags = stack
        start = end
    return parts


def split_html(elements: Sequence[str], limit: int = TEXT_LIMIT) -> list[str]:
    """Join line fragments with newlines into as few parts of at most ``limit`` as possible."""
    pieces: list[str] = []
    for element in elements:
        if _text_size(element) > limit:
            pieces.extend(split_html_line(element, limit))
        else:
            pieces.append(element)
    parts: list[list[str]] = []
    current: list[str] = []
    size = 0
    for piece in pieces:
        added = _text_size(piece) + (1 if current else 0)
        if current and size + added > limit:
            parts.append(current)
            current, size = [], 0
            added = _text_size(piece)
        if not current and not piece:
            continue  # no part starts with a blank line
        current.append(piece)
        size += added
    if current:
        parts.append(current)
    return ["\n".join(part).strip("\n") for part in parts]


def render_telegram(
    reply: Reply, *, shorten: Shortener | None = None, limit: int = TEXT_LIMIT
) -> list[TelegramMessage]:
    """Render ``reply`` as one or more HTML messages; the keyboard is on the last.

    Returns no messages for a reply with neither text nor buttons (an image-only
    reply, which the adapter sends as a photo).
    """
    keyboard = _keyboard(reply.buttons, shorten)
    texts = split_html(_elements(reply), limit)
    if not texts:
        return [TelegramMessage(text=EMPTY_TEXT, buttons=keyboard)] if keyboard else []
    messages = [TelegramMessage(text=text) for text in texts[:-1]]
    messages.append(TelegramMessage(text=texts[-1], buttons=keyboard))
    return messages
