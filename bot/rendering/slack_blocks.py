"""Slack rendering of a Reply: Block Kit blocks plus the notification text.

Blocks, in order: header (plain text), field sections (mrkdwn, ``*label*`` over
the value, two columns), one or more sections per Reply section (bold title,
``•`` lines; an untitled section is running text), an image if
``reply.extra["image_url"]`` is an http(s) URL (uploading ``reply.image`` is the
adapter's job), actions blocks for the buttons, and a context block for the
footer. All user text goes through :func:`~bot.rendering.escaping.literal_mrkdwn`
or into ``plain_text``; see that module for how formatting and mentions are
defused. Pass :meth:`SlackMessage.as_kwargs` to ``chat_postMessage`` and friends:
it never sets ``link_names``, so ``@channel`` typed in data stays text.

Block Kit limits are respected by splitting (section text, fields, buttons) or
truncating with "…" (header, labels, fields, more than 50 blocks).
Buttons carry ``action_id`` ``tierbot_btn_<n>`` and the command as ``value``;
match them with ``re.compile(ACTION_ID_PATTERN)``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from bot.conversation.messages import Button, ButtonStyle, Field, Reply, Section
from bot.rendering.escaping import ZWSP, clean_text, literal_mrkdwn, strip_control_chars

MAX_BLOCKS = 50
HEADER_LIMIT = 150
SECTION_TEXT_LIMIT = 3000
FIELD_TEXT_LIMIT = 2000
FIELDS_PER_SECTION = 10
BUTTONS_PER_ACTIONS = 25
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
CONTEXT_TEXT_LIMIT = 3000
IMAGE_URL_LIMIT = 3000
ALT_TEXT_LIMIT = 2000
FALLBACK_TEXT_LIMIT = 300
SECTION_TITLE_LIMIT = 300

ACTION_ID_PREFIX = "tierbot_btn_"
ACTION_ID_PATTERN = rf"^{ACTION_ID_PREFIX}\d+$"
BULLET = "• "
ELLIPSIS = "…"

_STYLES = {ButtonStyle.PRIMARY: "primary", ButtonStyle.DANGER: "danger"}
# The units that must stay whole when mrkdwn is cut: entities and a formatting
# character together with the zero-width spaces around it.
_MRKDWN_UNIT_RE = re.compile(rf"&(?:amp|lt|gt);|{ZWSP}.{ZWSP}|.", re.DOTALL)

Block = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SlackMessage:
    text: str  # notification / fallback text, mrkdwn-escaped
    blocks: list[Block]

    def as_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``chat_postMessage``, ``chat_postEphemeral``, ``respond``."""
        return {"text": self.text, "blocks": self.blocks}


def _truncate_plain(text: str, limit: int) -> str:
    text = strip_control_chars(text)
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def _truncate_mrkdwn(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    kept: list[str] = []
    size = 0
    for unit in _MRKDWN_UNIT_RE.findall(text):
        if size + len(unit) > limit - len(ELLIPSIS):
            break
        kept.append(unit)
        size += len(unit)
    return "".join(kept) + ELLIPSIS


def _split_mrkdwn_line(text: str, limit: int) -> list[str]:
    """Cut a too-long mrkdwn line at spaces where possible, never inside a unit."""
    units = _MRKDWN_UNIT_RE.findall(text)
    parts: list[str] = []
    start = 0
    while start < len(units):
        size = 0
        end = start
        last_break: int | None = None
        while end < len(units) and size + len(units[end]) <= limit:
            size += len(units[end])
            end += 1
            if units[end - 1].isspace():
                last_break = end
        if end < len(units) and last_break is not None and last_break > (start + end) // 2:
            end = last_break
        parts.append("".join(units[start:end]))
        start = end
    return parts


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": False}


def _one_line(text: str | None) -> str:
    return " ".join(clean_text(text).split())


def _header(title: str) -> Block:
    return {"type": "header", "text": _plain(_truncate_plain(_one_line(title), HEADER_LIMIT))}


def _field_text(item: Field) -> str | None:
    label = literal_mrkdwn(_one_line(item.label))
    value = literal_mrkdwn(clean_text(item.value))
    if not label and not value:
        return None
    text = f"*{label}*\n{value}" if label and value else f"*{label}*" if label else value
    return _truncate_mrkdwn(text, FIELD_TEXT_LIMIT)


def _field_sections(fields: Sequence[Field]) -> Iterator[Block]:
    texts = [text for text in map(_field_text, fields) if text is not None]
    for start in range(0, len(texts), FIELDS_PER_SECTION):
        chunk = texts[start : start + FIELDS_PER_SECTION]
        yield {"type": "section", "fields": [_mrkdwn(text) for text in chunk]}


def _section_lines(section: Section) -> list[str]:
    if title := _one_line(section.title):
        title = _truncate_mrkdwn(literal_mrkdwn(title), SECTION_TITLE_LIMIT)
        return [f"*{title}*", *(BULLET + literal_mrkdwn(line) for line in section.lines)]
    return [literal_mrkdwn(line) for line in section.lines]


def _section_blocks(section: Section) -> Iterator[Block]:
    pieces: list[str] = []
    for line in _section_lines(section):
        if len(line) > SECTION_TEXT_LIMIT:
            pieces.extend(_split_mrkdwn_line(line, SECTION_TEXT_LIMIT))
        else:
            pieces.append(line)
    current: list[str] = []
    size = 0
    for piece in pieces:
        added = len(piece) + (1 if current else 0)
        if current and size + added > SECTION_TEXT_LIMIT:
            yield {"type": "section", "text": _mrkdwn("\n".join(current))}
            current, size, added = [], 0, len(piece)
        current.append(piece)
        size += added
    text = "\n".join(current)
    # Slack rejects an empty or blank text object.
    if text.strip():
        yield {"type": "section", "text": _mrkdwn(text)}


def _image_block(reply: Reply) -> Block | None:
    url = reply.extra.get("image_url", "").strip()
    if not url.startswith(("https://", "http://")) or len(url) > IMAGE_URL_LIMIT:
        return None
    alt = reply.image.alt_text if reply.image is not None else reply.title
    alt_text = _truncate_plain(_one_line(alt), ALT_TEXT_LIMIT) or "image"
    return {"type": "image", "image_url": url, "alt_text": alt_text}


def _button(index: int, button: Button) -> dict[str, Any]:
    if not button.command:
        raise ValueError("a button needs a non-empty command")
    if len(button.command) > BUTTON_VALUE_LIMIT:
        raise ValueError(
            f"button command is {len(button.command)} characters; Slack allows {BUTTON_VALUE_LIMIT}"
        )
    label = _truncate_plain(_one_line(button.label), BUTTON_TEXT_LIMIT)
    element: dict[str, Any] = {
        "type": "button",
        "text": _plain(label or _truncate_plain(button.command, BUTTON_TEXT_LIMIT)),
        "action_id": f"{ACTION_ID_PREFIX}{index}",
        "value": button.command,
    }
    style = _STYLES.get(button.style)
    if style is not None:
        element["style"] = style
    return element


def _actions_blocks(buttons: Sequence[Button]) -> Iterator[Block]:
    elements = [_button(index, button) for index, button in enumerate(buttons)]
    for start in range(0, len(elements), BUTTONS_PER_ACTIONS):
        yield {"type": "actions", "elements": elements[start : start + BUTTONS_PER_ACTIONS]}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [_mrkdwn(text)]}


def _fallback_text(reply: Reply) -> str:
    candidates = [reply.title]
    candidates += [f"{item.label}: {item.value}" for item in reply.fields]
    candidates += [line for section in reply.sections for line in (section.title, *section.lines)]
    candidates.append(reply.footer)
    first = next(filter(None, map(_one_line, candidates)), ELLIPSIS)
    return _truncate_mrkdwn(literal_mrkdwn(first), FALLBACK_TEXT_LIMIT)


def render_slack(reply: Reply) -> SlackMessage:
    """Render ``reply`` as Block Kit blocks within Slack's limits."""
    head: list[Block] = []
    if title := _one_line(reply.title):
        head.append(_header(title))
    body: list[Block] = [*_field_sections(reply.fields)]
    for section in reply.sections:
        body.extend(_section_blocks(section))
    image = _image_block(reply)
    if image is not None:
        body.append(image)
    tail: list[Block] = [*_actions_blocks(reply.buttons)]
    if footer := clean_text(reply.footer):
        footer = _truncate_mrkdwn(literal_mrkdwn(footer), CONTEXT_TEXT_LIMIT)
        tail.append(_context(footer))
    room = MAX_BLOCKS - len(head) - len(tail)
    if room < 1:
        raise ValueError(f"a reply with {len(reply.buttons)} buttons cannot fit in Slack's blocks")
    if len(body) > room:
        # Keep the buttons and footer, which the person needs to go on.
        body = [*body[: room - 1], _context(ELLIPSIS)]
    return SlackMessage(text=_fallback_text(reply), blocks=[*head, *body, *tail])
