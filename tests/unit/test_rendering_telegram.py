"""Telegram HTML rendering: escaping, message splitting and inline keyboards."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.conversation.messages import Button, Field, Reply, Section
from bot.rendering.escaping import strip_control_chars
from bot.rendering.telegram_html import (
    CALLBACK_DATA_LIMIT,
    TEXT_LIMIT,
    CallbackDataTooLongError,
    InMemoryCallbackStore,
    TelegramMessage,
    callback_data_for,
    render_telegram,
    split_html_line,
)

HOSTILE = [
    ("<!channel>", "&lt;!channel&gt;"),
    ("<@U123>", "&lt;@U123&gt;"),
    ("*bold*", "*bold*"),
    ("<b>x</b>", "&lt;b&gt;x&lt;/b&gt;"),
    ("&amp;", "&amp;amp;"),
    ("@everyone", "@everyone"),
]

_BARE_AMPERSAND = re.compile(r"&(?!(?:amp|lt|gt|quot|#x[0-9a-fA-F]+|#[0-9]+);)")


class _TagChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.seen: set[str] = set()
        self.mismatched: list[str] = []
        self.data: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open.append(tag)
        self.seen.add(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.mismatched.append(tag)

    def handle_data(self, data: str) -> None:
        self.data.append(data)


def visible_text(html_text: str) -> str:
    """What Telegram shows for ``html_text``, after checking it is well-formed."""
    checker = _TagChecker()
    checker.feed(html_text)
    checker.close()
    assert checker.mismatched == []
    assert checker.open == []
    assert checker.seen <= {"b", "i"}
    assert _BARE_AMPERSAND.search(html_text) is None
    assert "<" not in re.sub(r"</?[bi]>", "", html_text)
    return "".join(checker.data)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_a_card_renders_bold_title_fields_bulleted_sections_and_italic_footer() -> None:
    reply = Reply(
        title="Acme Corp",
        fields=(Field("Tier", "A"), Field("Score", "87")),
        sections=(Section("Why", ("Revenue above $10M",)), Section(None, ("Note.",))),
        buttons=(Button("Why", "why Acme"),),
        footer="Scores refresh nightly.",
    )

    assert render_telegram(reply) == [
        TelegramMessage(
            text=(
                "<b>Acme Corp</b>\n"
                "<b>Tier</b>: A\n"
                "<b>Score</b>: 87\n"
                "\n"
                "<b>Why</b>\n"
                "• Revenue above $10M\n"
                "\n"
                "Note.\n"
                "\n"
                "<i>Scores refresh nightly.</i>"
            ),
            buttons=[[("Why", "why Acme")]],
        )
    ]


@pytest.mark.parametrize(("name", "escaped"), HOSTILE)
def test_an_account_name_with_markup_reaches_the_telegram_user_literally(
    name: str, escaped: str
) -> None:
    reply = Reply(
        title=name,
        fields=(Field("Account", name),),
        sections=(Section("Why", (f"{name} grew",)),),
        buttons=(Button(name, "why"),),
        footer=name,
    )

    [message] = render_telegram(reply)

    assert message.text == (
        f"<b>{escaped}</b>\n<b>Account</b>: {escaped}\n\n<b>Why</b>\n• {escaped} grew\n\n"
        f"<i>{escaped}</i>"
    )
    assert visible_text(message.text).startswith(f"{name}\nAccount: {name}")
    # Keyboard labels are plain text, never parsed.
    assert message.buttons == [[(name, "why")]]


def test_chinese_text_renders() -> None:
    reply = Reply(title="阿克米公司", fields=(Field("等级", "A"),), footer="评分每晚更新。")
    [message] = render_telegram(reply)
    assert message.text == "<b>阿克米公司</b>\n<b>等级</b>: A\n\n<i>评分每晚更新。</i>"


def test_a_long_reply_is_split_between_lines_into_valid_parts_with_buttons_on_the_last() -> None:
    lines = tuple(f"Reason {n}: revenue <b>& growth</b> are strong" for n in range(400))
    reply = Reply(
        title="Acme",
        sections=(Section("Why", lines),),
        buttons=(Button("Why", "why Acme"), Button("Help", "help")),
        footer="End.",
    )

    messages = render_telegram(reply)

    assert len(messages) > 1
    assert all(utf16_len(m.text) <= TEXT_LIMIT for m in messages)
    assert all(m.buttons == [] for m in messages[:-1])
    assert messages[-1].buttons == [[("Why", "why Acme"), ("Help", "help")]]
    shown = "\n".join(visible_text(m.text) for m in messages)
    for line in lines:
        assert f"• {line}\n" in shown  # every line survives whole, in one part
    assert shown.index("Reason 0:") < shown.index("Reason 399:")


def test_a_single_overlong_line_is_cut_at_spaces_closing_and_reopening_its_tag() -> None:
    footer = "Scores & notes refresh nightly. " * 400  # 12,800 characters before escaping

    messages = render_telegram(Reply(footer=footer))

    assert len(messages) >= 3
    for message in messages:
        assert utf16_len(message.text) <= TEXT_LIMIT
        assert message.text.startswith("<i>")
        assert message.text.endswith("</i>")
        visible_text(message.text)
    # Cut after a space, so no word is split.
    assert all(m.text.removesuffix("</i>").endswith(" ") for m in messages[:-1])
    assert "".join(visible_text(m.text) for m in messages) == footer.strip()


def test_a_line_of_entities_without_spaces_is_never_cut_inside_an_entity() -> None:
    messages = render_telegram(Reply(sections=(Section(None, ("&<>" * 3000,)),)))
    assert len(messages) > 1
    shown = "".join(visible_text(m.text) for m in messages)
    assert shown == "&<>" * 3000


def test_parts_are_measured_in_utf16_code_units_so_emoji_count_twice() -> None:
    messages = render_telegram(Reply(sections=(Section(None, ("😀" * 3000,)),)))
    assert len(messages) == 2
    assert all(utf16_len(m.text) <= TEXT_LIMIT for m in messages)


@settings(max_examples=200, deadline=None)
@given(
    title=st.text(max_size=60),
    lines=st.lists(st.text(max_size=120), max_size=8),
    footer=st.text(max_size=120),
    limit=st.integers(min_value=20, max_value=120),
)
def test_any_text_splits_into_well_formed_parts_that_keep_every_character(
    title: str, lines: list[str], footer: str, limit: int
) -> None:
    reply = Reply(title=title, sections=(Section("S", tuple(lines)),), footer=footer)

    messages = render_telegram(reply, limit=limit)

    assert all(utf16_len(m.text) <= limit for m in messages)
    shown = "".join(visible_text(m.text) for m in messages)
    expected = "".join(
        strip_control_chars(text) for text in (title.strip(), "S", *lines, footer.strip())
    )
    assert re.sub(r"\s|•", "", shown) == re.sub(r"\s|•", "", expected)


def test_split_html_line_reopens_every_open_tag_in_order() -> None:
    parts = split_html_line("<b><i>" + "word " * 20 + "</i></b>", limit=40)
    assert len(parts) > 1
    for part in parts:
        assert part.startswith("<b><i>")
        assert part.endswith("</i></b>")
        assert len(part) <= 40


def test_keyboard_rows_hold_at_most_three_buttons_and_long_labels_get_their_own_row() -> None:
    buttons = (
        Button("Why", "why"),
        Button("Playbook", "playbook"),
        Button("Top", "top"),
        Button("More", "more"),
        Button("Export the whole list to Excel", "export"),
        Button("Help", "help"),
    )

    [message] = render_telegram(Reply(title="t", buttons=buttons))

    assert message.buttons == [
        [("Why", "why"), ("Playbook", "playbook"), ("Top", "top")],
        [("More", "more")],
        [("Export the whole list to Excel", "export")],
        [("Help", "help")],
    ]


def test_callback_data_keeps_a_command_of_exactly_64_bytes() -> None:
    command = "x" * CALLBACK_DATA_LIMIT
    assert callback_data_for(command) == command


def test_a_command_over_64_utf8_bytes_is_refused_without_a_shortener() -> None:
    command = "why " + "阿克米" * 7  # 25 characters, 67 bytes
    with pytest.raises(CallbackDataTooLongError):
        render_telegram(Reply(title="t", buttons=(Button("Why", command),)))


def test_a_long_command_is_replaced_by_a_token_that_resolves_back() -> None:
    store = InMemoryCallbackStore()
    command = "why " + "阿克米科技有限公司" * 5

    [message] = render_telegram(
        Reply(title="t", buttons=(Button("Why", command), Button("Help", "help"))),
        shorten=store.shorten,
    )

    [[(_, token), (_, short)]] = message.buttons
    assert len(token.encode("utf-8")) <= CALLBACK_DATA_LIMIT
    assert token != command
    assert store.resolve(token) == command
    assert short == "help"
    assert store.resolve(short) == "help"


def test_an_unknown_or_evicted_token_resolves_to_none() -> None:
    store = InMemoryCallbackStore(max_entries=2)
    first = store.shorten("a" * 100)
    store.shorten("b" * 100)
    store.shorten("c" * 100)
    assert store.resolve(first) is None
    assert store.resolve(InMemoryCallbackStore.PREFIX + "nope") is None


def test_a_shortener_returning_too_long_data_is_refused() -> None:
    with pytest.raises(CallbackDataTooLongError):
        callback_data_for("x" * 100, shorten=lambda command: command)


def test_an_empty_command_is_refused() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        callback_data_for("")


def test_a_reply_with_only_buttons_still_has_text() -> None:
    [message] = render_telegram(Reply(buttons=(Button("Help", "help"),)))
    assert message.text == "…"
    assert message.buttons == [[("Help", "help")]]


def test_a_reply_with_nothing_to_say_renders_no_messages() -> None:
    assert render_telegram(Reply()) == []


def test_control_only_texts_never_become_empty_tags() -> None:
    reply = Reply(title="\x00", sections=(Section("\x07", ("x",)),), footer="\x1b")
    [message] = render_telegram(reply)
    assert message.text == "x"
