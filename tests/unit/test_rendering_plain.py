"""The console rendering: readable layout, numbered choices, literal user data."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.conversation.messages import Button, Field, Reply, Section
from bot.rendering.escaping import sanitize_plain
from bot.rendering.plain import display_width, render_plain, wrap

HOSTILE_NAMES = ["<!channel>", "<@U123>", "*bold*", "<b>x</b>", "&amp;", "@everyone"]


def test_a_card_renders_title_aligned_fields_sections_choices_and_footer() -> None:
    reply = Reply(
        title="Acme Corp",
        fields=(Field("Tier", "A"), Field("Score", "87")),
        sections=(Section("Why", ("Revenue above $10M", "Hiring fast")),),
        buttons=(Button("Why", "why Acme"), Button("Help", "help")),
        footer="Scores refresh nightly.",
    )

    rendering = render_plain(reply)

    assert rendering.text == (
        "Acme Corp\n"
        "=========\n"
        "Tier:  A\n"
        "Score: 87\n"
        "\n"
        "Why\n"
        "  • Revenue above $10M\n"
        "  • Hiring fast\n"
        "\n"
        "[1] Why  (why Acme)\n"
        "[2] Help\n"
        "\n"
        "Scores refresh nightly."
    )
    assert rendering.choices == {"1": "why Acme", "2": "help"}


def test_an_untitled_section_is_running_text_without_bullets() -> None:
    reply = Reply(sections=(Section(None, ("Hello.", "Type help to start.")),))
    assert render_plain(reply).text == "Hello.\nType help to start."


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_an_account_name_with_markup_reaches_the_console_user_literally(name: str) -> None:
    reply = Reply(
        title=name,
        fields=(Field("Account", name),),
        sections=(Section("Why", (f"{name} grew",)),),
        buttons=(Button(name, f"why {name}"),),
        footer=name,
    )

    text = render_plain(reply).text

    assert text.splitlines() == [
        name,
        "=" * len(name),
        f"Account: {name}",
        "",
        "Why",
        f"  • {name} grew",
        "",
        f"[1] {name}  (why {name})",
        "",
        name,
    ]


def test_terminal_escape_sequences_in_user_data_are_not_printed() -> None:
    reply = Reply(title="\x1b[2J\x1b]0;owned\x07Acme\rX", fields=(Field("Note", "a\x1b[31mb"),))
    rendering = render_plain(reply)
    assert "\x1b" not in rendering.text
    assert "\r" not in rendering.text
    assert rendering.text.startswith("AcmeX\n=====\nNote: ab")


def test_chinese_text_renders_and_aligns_by_display_width() -> None:
    reply = Reply(
        title="阿克米公司",
        fields=(Field("等级", "A"), Field("客户名称", "上海阿克米科技有限公司")),
    )
    assert render_plain(reply).text == (
        "阿克米公司\n==========\n等级:     A\n客户名称: 上海阿克米科技有限公司"
    )


def test_long_lines_wrap_within_eighty_columns_with_hanging_indents() -> None:
    english = "Revenue above the segment median and growing faster than peers " * 4
    chinese = "收入增长很快，超过同行业中位数。" * 10
    reply = Reply(
        fields=(Field("Summary", english),),
        sections=(Section("Why", (english, chinese)),),
        buttons=(Button("A very long label " * 6, "cmd"),),
        footer=chinese,
    )

    lines = render_plain(reply).text.splitlines()

    assert all(display_width(line) <= 80 for line in lines)
    bullet_lines = [line for line in lines if line.startswith("  • ")]
    assert len(bullet_lines) == 2
    continuation = lines[lines.index(bullet_lines[0]) + 1]
    assert continuation.startswith("    ")
    assert not continuation.startswith("     ")


def test_a_word_longer_than_the_line_is_cut() -> None:
    assert wrap("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_wrapping_keeps_explicit_newlines() -> None:
    assert wrap("one\ntwo words", 80, "> ", "  ") == ["> one", "  two words"]


def test_an_empty_reply_renders_as_empty_text() -> None:
    rendering = render_plain(Reply())
    assert rendering.text == ""
    assert rendering.choices == {}


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300), width=st.integers(min_value=4, max_value=80))
def test_wrapping_never_exceeds_the_width_and_keeps_every_visible_character(
    text: str, width: int
) -> None:
    clean = sanitize_plain(text)

    lines = wrap(clean, width, "> ", "  ")

    assert all(display_width(line) <= width for line in lines)
    shown = "".join(line[2:] for line in lines)
    assert "".join(shown.split()) == "".join(clean.split())


def test_control_only_texts_are_treated_as_missing() -> None:
    reply = Reply(title="\x1b[0m", fields=(Field("\x00", "\x07"),), footer="\x1b]0;x\x07")
    assert render_plain(reply).text == ""
