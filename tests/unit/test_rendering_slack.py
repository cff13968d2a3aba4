"""Slack Block Kit rendering: escaping, Block Kit limits and valid block shapes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.conversation.messages import Button, ButtonStyle, Field, Image, Reply, Section
from bot.rendering.escaping import ZWSP
from bot.rendering.slack_blocks import (
    ACTION_ID_PATTERN,
    FIELD_TEXT_LIMIT,
    HEADER_LIMIT,
    MAX_BLOCKS,
    SECTION_TEXT_LIMIT,
    SlackMessage,
    render_slack,
)

HOSTILE = [
    ("<!channel>", "&lt;!channel&gt;"),
    ("<@U123>", "&lt;@U123&gt;"),
    ("*bold*", f"{ZWSP}*{ZWSP}bold{ZWSP}*{ZWSP}"),
    ("<b>x</b>", "&lt;b&gt;x&lt;/b&gt;"),
    ("&amp;", "&amp;amp;"),
    ("@everyone", "@everyone"),
]


def assert_valid_blocks(message: SlackMessage) -> None:
    """slack_sdk accepts every block as is and would send it back unchanged."""
    assert 0 < len(message.blocks) <= MAX_BLOCKS
    for block in message.blocks:
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.validate_json()
        assert parsed.to_dict() == block


def section_texts(message: SlackMessage) -> list[str]:
    return [b["text"]["text"] for b in message.blocks if b["type"] == "section" and "text" in b]


def buttons(message: SlackMessage) -> list[dict[str, Any]]:
    return [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


def test_a_card_renders_header_fields_sections_actions_and_footer() -> None:
    reply = Reply(
        title="Acme Corp",
        fields=(Field("Tier", "A"), Field("Score", "87")),
        sections=(Section("Why", ("Revenue above $10M", "Hiring fast")),),
        buttons=(
            Button("Why", "why Acme"),
            Button("Playbook", "playbook Acme", ButtonStyle.PRIMARY),
            Button("Forget", "forget Acme", ButtonStyle.DANGER),
        ),
        footer="Scores refresh nightly.",
    )

    message = render_slack(reply)

    assert message.text == "Acme Corp"
    assert message.blocks == [
        {"type": "header", "text": {"type": "plain_text", "text": "Acme Corp", "emoji": False}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": "*Tier*\nA", "verbatim": True},
                {"type": "mrkdwn", "text": "*Score*\n87", "verbatim": True},
            ],
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "*Why*\n• Revenue above $10M\n• Hiring fast",
                "verbatim": True,
            },
        },
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Why", "emoji": False},
                    "action_id": "tierbot_btn_0",
                    "value": "why Acme",
                },
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Playbook", "emoji": False},
                    "action_id": "tierbot_btn_1",
                    "value": "playbook Acme",
                    "style": "primary",
                },
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Forget", "emoji": False},
                    "action_id": "tierbot_btn_2",
                    "value": "forget Acme",
                    "style": "danger",
                },
            ],
        },
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": "Scores refresh nightly.", "verbatim": True}],
        },
    ]
    assert_valid_blocks(message)
    assert all(re.match(ACTION_ID_PATTERN, b["action_id"]) for b in buttons(message))


@pytest.mark.parametrize(("name", "escaped"), HOSTILE)
def test_an_account_name_with_markup_reaches_the_slack_user_literally(
    name: str, escaped: str
) -> None:
    reply = Reply(
        title=name,
        fields=(Field("Account", name),),
        sections=(Section("Why", (f"{name} grew",)),),
        buttons=(Button(name, f"why {name}"),),
        footer=name,
    )

    message = render_slack(reply)

    header, fields, section, actions, context = message.blocks
    # plain_text is never parsed by Slack, so it carries the name unchanged.
    assert header["text"] == {"type": "plain_text", "text": name, "emoji": False}
    assert fields["fields"][0]["text"] == f"*Account*\n{escaped}"
    assert section["text"]["text"] == f"*Why*\n• {escaped} grew"
    assert actions["elements"][0]["text"]["text"] == name
    assert actions["elements"][0]["value"] == f"why {name}"
    assert context["elements"][0]["text"] == escaped
    assert message.text == escaped
    assert_valid_blocks(message)


def test_the_message_never_asks_slack_to_link_names() -> None:
    message = render_slack(Reply(title="@channel @everyone", footer="@here"))
    assert set(message.as_kwargs()) == {"text", "blocks"}
    mrkdwn = [
        obj
        for block in message.blocks
        for obj in [block.get("text"), *block.get("fields", []), *block.get("elements", [])]
        if isinstance(obj, dict) and obj.get("type") == "mrkdwn"
    ]
    assert mrkdwn
    assert all(obj["verbatim"] is True for obj in mrkdwn)


def test_chinese_text_renders() -> None:
    reply = Reply(
        title="阿克米公司",
        fields=(Field("等级", "A"),),
        sections=(Section("原因", ("收入增长很快",)),),
        footer="评分每晚更新。",
    )
    message = render_slack(reply)
    assert message.blocks[0]["text"]["text"] == "阿克米公司"
    assert message.blocks[1]["fields"][0]["text"] == "*等级*\nA"
    assert section_texts(message) == ["*原因*\n• 收入增长很快"]
    assert_valid_blocks(message)


def test_a_long_header_is_truncated_to_150_characters() -> None:
    message = render_slack(Reply(title="Acme " * 100))
    header = message.blocks[0]["text"]["text"]
    assert len(header) == HEADER_LIMIT
    assert header.endswith("…")
    assert_valid_blocks(message)


def test_more_than_ten_fields_are_spread_over_several_sections() -> None:
    message = render_slack(Reply(fields=tuple(Field(f"F{n}", str(n)) for n in range(25))))
    assert [len(b["fields"]) for b in message.blocks] == [10, 10, 5]
    assert_valid_blocks(message)


def test_a_long_field_is_truncated_without_cutting_an_entity() -> None:
    message = render_slack(Reply(fields=(Field("Notes", "&" * 3000),)))
    text = message.blocks[0]["fields"][0]["text"]
    assert len(text) <= FIELD_TEXT_LIMIT
    assert text.endswith("&amp;…")
    assert_valid_blocks(message)


def test_a_long_section_is_split_between_lines_with_the_title_only_in_the_first() -> None:
    lines = tuple(f"Reason {n}: " + "growth " * 12 for n in range(100))
    message = render_slack(Reply(sections=(Section("Why", lines),)))

    texts = section_texts(message)

    assert len(texts) > 1
    assert all(len(t) <= SECTION_TEXT_LIMIT for t in texts)
    assert texts[0].startswith("*Why*\n")
    assert not any(t.startswith("*Why*") for t in texts[1:])
    shown = "\n".join(texts)
    assert all(f"• {line}" in shown for line in lines)
    assert_valid_blocks(message)


def test_a_single_overlong_line_is_split_without_cutting_entities_or_fences() -> None:
    line = "*x* & y " * 1000
    message = render_slack(Reply(sections=(Section(None, (line,)),)))
    texts = section_texts(message)
    assert len(texts) > 1
    assert all(len(t) <= SECTION_TEXT_LIMIT for t in texts)
    joined = "".join(texts)
    assert joined.count("&amp;") == 1000
    assert joined.count(f"{ZWSP}*{ZWSP}") == 2000
    assert_valid_blocks(message)


def test_more_than_25_buttons_are_spread_over_actions_blocks_with_unique_action_ids() -> None:
    message = render_slack(Reply(buttons=tuple(Button(f"B{n}", f"cmd {n}") for n in range(60))))
    actions = [b for b in message.blocks if b["type"] == "actions"]
    assert [len(b["elements"]) for b in actions] == [25, 25, 10]
    ids = [e["action_id"] for e in buttons(message)]
    assert len(set(ids)) == 60
    assert_valid_blocks(message)


def test_a_long_button_label_is_truncated_to_75_characters() -> None:
    message = render_slack(Reply(buttons=(Button("Label " * 30, "cmd"),)))
    label = buttons(message)[0]["text"]["text"]
    assert len(label) == 75
    assert label.endswith("…")
    assert_valid_blocks(message)


def test_a_button_command_over_2000_characters_is_refused() -> None:
    with pytest.raises(ValueError, match="2000"):
        render_slack(Reply(buttons=(Button("Go", "x" * 2001),)))


def test_a_reply_over_50_blocks_keeps_its_buttons_and_footer() -> None:
    sections = tuple(Section(f"S{n}", ("line",)) for n in range(80))
    reply = Reply(title="T", sections=sections, buttons=(Button("Help", "help"),), footer="F")

    message = render_slack(reply)

    assert len(message.blocks) == MAX_BLOCKS
    assert [b["type"] for b in message.blocks[-3:]] == ["context", "actions", "context"]
    assert message.blocks[-3]["elements"][0]["text"] == "…"
    assert message.blocks[-1]["elements"][0]["text"] == "F"
    assert_valid_blocks(message)


def test_an_image_url_in_extra_becomes_an_image_block() -> None:
    reply = Reply(
        title="Chart",
        image=Image(png=b"", alt_text="Score history"),
        extra={"image_url": "https://files.example/chart.png"},
    )
    message = render_slack(reply)
    assert message.blocks[-1] == {
        "type": "image",
        "image_url": "https://files.example/chart.png",
        "alt_text": "Score history",
    }
    assert_valid_blocks(message)


@pytest.mark.parametrize("extra", [{}, {"image_url": "javascript:alert(1)"}])
def test_without_an_http_image_url_the_image_is_left_to_the_adapter(
    extra: dict[str, str],
) -> None:
    message = render_slack(Reply(title="Chart", image=Image(png=b"", alt_text="a"), extra=extra))
    assert [b["type"] for b in message.blocks] == ["header"]


def test_fallback_text_uses_the_first_text_when_there_is_no_title() -> None:
    message = render_slack(Reply(fields=(Field("Tier", "*A*"),)))
    assert message.text == f"Tier: {ZWSP}*{ZWSP}A{ZWSP}*{ZWSP}"


def test_empty_labels_and_values_never_produce_empty_text_objects() -> None:
    reply = Reply(
        fields=(Field("", "value only"), Field("label only", ""), Field("", "")),
        sections=(Section(None, ()), Section(None, ("",))),
        buttons=(Button("", "help"),),
    )
    message = render_slack(reply)
    assert message.blocks[0]["fields"] == [
        {"type": "mrkdwn", "text": "value only", "verbatim": True},
        {"type": "mrkdwn", "text": "*label only*", "verbatim": True},
    ]
    assert buttons(message)[0]["text"]["text"] == "help"
    assert_valid_blocks(message)


def test_control_only_texts_never_become_empty_text_objects() -> None:
    reply = Reply(title="\x00", sections=(Section("\x07", ("x",)),), footer="\x1b")
    message = render_slack(reply)
    assert message.blocks == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "x", "verbatim": True}}
    ]
    assert message.text == "x"
