"""Making arbitrary text literal in each output format.

Every text in a Reply may contain user data (account names, notes, CRM fields),
so renderers pass all of it through these functions; nothing typed by a person
may ever become markup, a mention or a terminal command.

Slack mrkdwn
    ``&``, ``<`` and ``>`` are Slack's control characters and are the only ones
    Slack decodes as entities (``&amp;``, ``&lt;``, ``&gt;``); escaping them turns
    ``<!channel>``, ``<!here>``, ``<@U123>`` and ``<https://x|label>`` into plain
    text. Formatting characters (``*bold*``, ``_italic_``, ``~strike~``,
    ```code```) have no escape in mrkdwn, so :func:`literal_mrkdwn` puts a zero-width
    space (U+200B) on both sides of each: whichever way Slack classifies U+200B,
    the character is then no longer a delimiter (a delimiter must touch the text
    it wraps and sit at a word boundary). The text looks the same; a copy of it
    contains the invisible U+200B. Plain ``@channel``/``@everyone`` are not
    mentions in API text unless the message sets ``link_names``, which the
    renderers never do; mrkdwn objects also carry ``verbatim: true`` so Slack does
    not auto-link URLs or channel names found in user data. ``plain_text``
    objects (header, button labels) are never parsed and take text as is.

Telegram HTML
    :func:`escape_telegram_html` escapes ``& < >`` and both quotes, so text is
    safe in element content and attribute values alike.

Plain text (console)
    :func:`sanitize_plain` removes ANSI escape sequences, C0/C1 control
    characters and bidirectional overrides, so data can't move the cursor,
    retitle the terminal, hide text or reorder what is shown.
"""

from __future__ import annotations

import html
import re

ZWSP = "\u200b"

_MRKDWN_FORMATTING_RE = re.compile(r"[*_~`]")

# Control characters other than tab and newline are invisible in chat and some
# platform APIs reject them.
_C0_C1_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

_ANSI_RE = re.compile(
    r"""
      \x1b\[[0-?]*[ -/]*[@-~]              # CSI: colours, cursor movement, erase
    | \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?   # OSC: window title, hyperlinks
    | \x1b[PX^_][^\x1b]*(?:\x1b\\)?        # DCS, SOS, PM, APC strings
    | \x1b[ -/]*[0-~]                      # any other escape sequence
    """,
    re.VERBOSE,
)

# Explicit embeddings, overrides and isolates can make a terminal show text in
# an order other than the one stored ("Trojan Source").
_BIDI_CONTROL_RE = re.compile(r"[\u202a-\u202e\u2066-\u2069]")


def strip_control_chars(text: str) -> str:
    """Drop control characters except newline and tab; CRLF becomes LF."""
    return _C0_C1_RE.sub("", text.replace("\r\n", "\n"))


def clean_text(text: str | None) -> str:
    """``text`` without control characters or surrounding whitespace; None becomes ""."""
    return strip_control_chars(text or "").strip()


def escape_mrkdwn(text: str) -> str:
    """Escape Slack's control characters: links, mentions and commands become text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def literal_mrkdwn(text: str) -> str:
    """Text that Slack mrkdwn shows exactly as given: escaped and unformattable."""
    escaped = escape_mrkdwn(strip_control_chars(text))
    return _MRKDWN_FORMATTING_RE.sub(lambda m: f"{ZWSP}{m.group()}{ZWSP}", escaped)


def escape_telegram_html(text: str) -> str:
    """Text for Telegram's HTML parse mode, in content or in attribute values."""
    return html.escape(strip_control_chars(text), quote=True)


def sanitize_plain(text: str) -> str:
    """Text that is safe to print to a terminal; tabs become spaces."""
    without_escapes = _ANSI_RE.sub("", text)
    cleaned = strip_control_chars(_BIDI_CONTROL_RE.sub("", without_escapes))
    return cleaned.replace("\t", "    ")
