"""Plain-text rendering of a Reply, for the console chat.

Layout (blank lines between groups)::

    Acme Corp
    =========
    Tier:   A
    Score:  87

    Why
      • Revenue above $10M

    [1] Why  (why Acme)
    [2] Playbook  (playbook Acme)

    Scores refresh nightly.

Buttons become numbered choices: the console accepts either the number (look
it up in :attr:`PlainRendering.choices`) or the command itself. Lines are
wrapped to ``width`` terminal columns; CJK characters count as two.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from bot.conversation.messages import Reply
from bot.rendering.escaping import sanitize_plain

DEFAULT_WIDTH = 80
BULLET = "• "
SECTION_INDENT = "  "
# Aligning values after one very long label would push every value far right.
_MAX_ALIGNED_LABEL_WIDTH = 20
_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")


@dataclass(frozen=True, slots=True)
class PlainRendering:
    text: str
    choices: dict[str, str] = field(default_factory=dict)  # "1" -> command


def char_width(char: str) -> int:
    """Terminal columns ``char`` occupies."""
    if char in _ZERO_WIDTH or unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(text: str) -> int:
    """Terminal columns ``text`` occupies (CJK and most emoji take two)."""
    return sum(char_width(char) for char in text)


def _atoms(paragraph: str) -> list[str]:
    """Split into words, runs of spaces and single wide characters.

    Wide (CJK) characters are atoms of their own because Chinese text has no
    spaces and may break between any two characters.
    """
    atoms: list[str] = []
    current = ""
    current_kind = ""
    for char in paragraph:
        kind = "space" if char.isspace() else "wide" if char_width(char) == 2 else "word"
        if current and (kind != current_kind or kind == "wide"):
            atoms.append(current)
            current = ""
        current += char
        current_kind = kind
    if current:
        atoms.append(current)
    return atoms


def _hard_split(word: str, width: int) -> tuple[str, str]:
    used = 0
    for index, char in enumerate(word):
        used += char_width(char)
        if used > width:
            return word[: max(index, 1)], word[max(index, 1) :]
    return word, ""


def wrap(text: str, width: int, first_prefix: str = "", next_prefix: str = "") -> list[str]:
    """Wrap ``text`` into lines of at most ``width`` columns, prefixes included.

    Newlines in ``text`` start new lines; words longer than a line are cut.
    Only a ``width`` narrower than a prefix plus one wide character is exceeded.
    """
    lines: list[str] = []
    prefix = first_prefix
    for paragraph in text.split("\n"):
        line = ""
        line_width = 0
        pending_space = ""
        available = max(width - display_width(prefix), 1)
        for atom in _atoms(paragraph):
            if atom.isspace():
                pending_space = atom if line else ""
                continue
            atom_width = display_width(atom)
            space_width = display_width(pending_space)
            if line_width + space_width + atom_width <= available:
                line += pending_space + atom
                line_width += space_width + atom_width
                pending_space = ""
                continue
            if line:
                lines.append(prefix + line)
                prefix = next_prefix
                available = max(width - display_width(prefix), 1)
            pending_space = ""
            while display_width(atom) > available:
                head, atom = _hard_split(atom, available)
                lines.append(prefix + head)
                prefix = next_prefix
                available = max(width - display_width(prefix), 1)
            line = atom
            line_width = display_width(atom)
        lines.append((prefix + line).rstrip())
        prefix = next_prefix
    return lines


def _clean(text: str | None) -> str:
    return sanitize_plain(text or "").strip()


def _title_lines(title: str, width: int) -> list[str]:
    lines = wrap(title, width)
    underline = "=" * min(max(display_width(line) for line in lines), width)
    return [*lines, underline]


def _field_lines(reply: Reply, width: int) -> list[str]:
    labels = [_clean(item.label) for item in reply.fields]
    aligned = min(max(display_width(label) for label in labels) + 1, _MAX_ALIGNED_LABEL_WIDTH + 1)
    lines: list[str] = []
    for label, item in zip(labels, reply.fields, strict=True):
        value = _clean(item.value)
        if not label:
            lines.extend(wrap(value, width))
            continue
        head = label + ":"
        head += " " * max(aligned - display_width(head), 0) + " "
        value_column = display_width(head)
        indent = " " * value_column if value_column <= width // 2 else "    "
        lines.extend(wrap(value, width, head, indent) if value else [head.rstrip()])
    return lines


def _section_lines(title: str | None, body: tuple[str, ...], width: int) -> list[str]:
    lines: list[str] = []
    if title := _clean(title):
        lines.extend(wrap(title, width))
        for line in body:
            first = SECTION_INDENT + BULLET
            lines.extend(wrap(sanitize_plain(line), width, first, " " * display_width(first)))
    else:
        # An untitled section is running text, not a list.
        for line in body:
            lines.extend(wrap(sanitize_plain(line), width))
    return lines


def _choice_lines(reply: Reply, width: int) -> tuple[list[str], dict[str, str]]:
    lines: list[str] = []
    choices: dict[str, str] = {}
    for number, button in enumerate(reply.buttons, start=1):
        key = str(number)
        command = _clean(button.command)
        label = _clean(button.label) or command
        choices[key] = button.command
        marker = f"[{key}] "
        same = command.casefold() in ("", label.casefold())
        text = label if same else f"{label}  ({command})"
        lines.extend(wrap(text, width, marker, " " * len(marker)))
    return lines, choices


def render_plain(reply: Reply, width: int = DEFAULT_WIDTH) -> PlainRendering:
    """Render ``reply`` as terminal text plus the numbered choices for its buttons."""
    groups: list[list[str]] = []
    title = _clean(reply.title)
    title_and_fields = _title_lines(title, width) if title else []
    if reply.fields:
        title_and_fields.extend(_field_lines(reply, width))
    groups.append(title_and_fields)
    groups.extend(_section_lines(s.title, s.lines, width) for s in reply.sections)
    choice_lines, choices = _choice_lines(reply, width)
    groups.append(choice_lines)
    if footer := _clean(reply.footer):
        groups.append(wrap(footer, width))
    text = "\n\n".join("\n".join(lines) for lines in groups if lines)
    return PlainRendering(text=text, choices=choices)
