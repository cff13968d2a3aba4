"""Escaping keeps user data literal in Slack mrkdwn, Telegram HTML and the console."""

from __future__ import annotations

import pytest

from bot.rendering.escaping import (
    ZWSP,
    escape_mrkdwn,
    escape_telegram_html,
    literal_mrkdwn,
    sanitize_plain,
    strip_control_chars,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("<!here>", "&lt;!here&gt;"),
        ("<@U123>", "&lt;@U123&gt;"),
        ("<https://evil.example|click me>", "&lt;https://evil.example|click me&gt;"),
        ("&amp;", "&amp;amp;"),
        ("R&D", "R&amp;D"),
        ("@everyone", "@everyone"),
    ],
)
def test_escape_mrkdwn_turns_slack_control_characters_into_entities(
    text: str, expected: str
) -> None:
    assert escape_mrkdwn(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("*bold*", f"{ZWSP}*{ZWSP}bold{ZWSP}*{ZWSP}"),
        ("_italic_", f"{ZWSP}_{ZWSP}italic{ZWSP}_{ZWSP}"),
        ("~strike~", f"{ZWSP}~{ZWSP}strike{ZWSP}~{ZWSP}"),
        ("`code`", f"{ZWSP}`{ZWSP}code{ZWSP}`{ZWSP}"),
        ("<b>x</b>", "&lt;b&gt;x&lt;/b&gt;"),
        ("plain words", "plain words"),
    ],
)
def test_literal_mrkdwn_fences_formatting_characters_with_zero_width_spaces(
    text: str, expected: str
) -> None:
    assert literal_mrkdwn(text) == expected


def test_literal_mrkdwn_looks_like_the_input_once_zero_width_spaces_are_removed() -> None:
    text = "*Acme* _Ltd_ ~x~ `y` <@U1> & more"
    shown = literal_mrkdwn(text).replace(ZWSP, "")
    assert shown.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<b>x</b>", "&lt;b&gt;x&lt;/b&gt;"),
        ("&amp;", "&amp;amp;"),
        ("a \"quoted\" 'name'", "a &quot;quoted&quot; &#x27;name&#x27;"),
        ("<!channel> <@U123> *bold* @everyone", "&lt;!channel&gt; &lt;@U123&gt; *bold* @everyone"),
    ],
)
def test_escape_telegram_html_escapes_markup_and_quotes(text: str, expected: str) -> None:
    assert escape_telegram_html(text) == expected


def test_sanitize_plain_removes_terminal_escape_sequences() -> None:
    hostile = (
        "\x1b[2J\x1b[31mAcme\x1b[0m\x1b]0;pwned\x07 Corp\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\"
    )
    assert sanitize_plain(hostile) == "Acme Corplink"


def test_sanitize_plain_removes_carriage_returns_and_bidi_overrides_but_keeps_newlines() -> None:
    assert sanitize_plain("safe\rEVIL\r\nnext\u202eevil\u2066") == "safeEVIL\nnextevil"


def test_sanitize_plain_keeps_chinese_and_turns_tabs_into_spaces() -> None:
    assert sanitize_plain("阿克米\t公司") == "阿克米    公司"


def test_control_characters_are_dropped_in_every_format() -> None:
    assert strip_control_chars("a\x00b\x07c\x7fd\x9be") == "abcde"
    assert escape_telegram_html("a\x00b") == "ab"
    assert literal_mrkdwn("a\x00b") == "ab"
