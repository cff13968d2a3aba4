"""Whole conversations on Telegram: python-telegram-bot polls FakeTelegram, tierbot answers.

Every test runs the real stack - PTB's HTTP client and update loop, the adapter, the
conversation core, the service and a SQLite database - against a local Bot API server.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.telegram.bot import TelegramOptions, build_application
from bot.adapters.telegram.ratelimit import FloodLimits
from bot.adapters.telegram.runner import serving
from bot.app import App, running_app
from bot.service.actor import Actor
from bot.settings import Settings, load_settings
from bot.store.enums import Role
from bot.testing.databases import sqlite_url
from bot.testing.fake_telegram import FakeTelegram

TOKEN = "123456:TEST-token"
ANN = 5001  # a manager who owns Acme Corp
GROUP = -100200
# Telegram's limits with a per-chat rate a quick test does not notice; the code path is the same.
QUICK_LIMITS = FloodLimits(chat_per_second=100, chat_burst=10)


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # What the runner sets: RetryAfter carries a timedelta, without a deprecation warning.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN) as fake:
        yield fake


def settings_for(tmp_path: Path, tg: FakeTelegram, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": sqlite_url(tmp_path),
        "telegram_bot_token": TOKEN,
        "telegram_api_url": tg.root_url,
        "telegram_allowed_chats": [],
        "default_role": None,
        **extra,
    }
    return load_settings(**values)


@asynccontextmanager
async def tierbot(
    settings: Settings, limits: FloodLimits | None = QUICK_LIMITS
) -> AsyncIterator[App]:
    """tierbot polling Telegram, with Ann and her account Acme Corp."""
    async with running_app(settings) as app:
        ann = await app.service.add_person(Actor.cli(), "Ann", Role.MANAGER, telegram=str(ANN))
        await app.service.create_account(Actor.cli(), "Acme Corp", facts={}, owner_id=ann.id)
        options = replace(TelegramOptions.from_settings(settings), flood_limits=limits)
        application = build_application(options, app.conversation, app.texts)
        async with serving(application, app.texts):
            yield app


@pytest.fixture
async def app(tmp_path: Path, tg: FakeTelegram) -> AsyncIterator[App]:
    async with tierbot(settings_for(tmp_path, tg)) as running:
        yield running


def keyboard(message: dict[str, Any]) -> dict[str, str]:
    """Button label -> callback_data of a message as the fake holds it."""
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return {button["text"]: button["callback_data"] for row in rows for button in row}


async def say(tg: FakeTelegram, text: str, *, chat: int = ANN, **options: Any) -> dict[str, Any]:
    """Send ``text`` as Ann (by default) and return the bot's newest message in that chat."""
    sent_before = len(tg.calls("sendMessage"))
    tg.push_message(chat, options.pop("user", ANN), text, **options)
    await tg.wait_for("sendMessage", count=sent_before + 1)
    return tg.sent_messages(chat)[-1]


async def press(
    tg: FakeTelegram, message: dict[str, Any], label: str, then: str = "editMessageText"
) -> None:
    """Press the button ``label`` on ``message`` as Ann; wait for the bot's ``then`` call."""
    before = len(tg.calls(then))
    chat = message["chat"]["id"]
    tg.push_callback(chat, ANN, keyboard(message)[label], message["message_id"])
    await tg.wait_for(then, count=before + 1)


# -- reading and changing accounts


async def test_tier_command_answers_with_the_card_in_html_and_its_buttons(
    tg: FakeTelegram, app: App
) -> None:
    card = await say(tg, "/tier acme")

    [call] = tg.calls("sendMessage")
    assert call.params["parse_mode"] == "HTML"
    assert call.params["text"].startswith("<b>Acme Corp · Tier ")
    assert card["text"].startswith("Acme Corp · Tier ")
    assert {"type": "bold", "offset": 0, "length": len("Acme Corp · Tier C")} in card["entities"]
    assert keyboard(card)["Why"] == "why #1"


async def test_plain_text_and_commands_addressed_to_the_bot_mean_the_same(
    tg: FakeTelegram, app: App
) -> None:
    by_word = await say(tg, "tier acme")
    by_command = await say(tg, "/tier@tierbot_test_bot acme")

    assert by_word["text"] == by_command["text"]
    assert by_word["text"].startswith("Acme Corp · Tier ")


async def test_set_updates_the_facts_and_shows_what_changed(tg: FakeTelegram, app: App) -> None:
    updated = await say(tg, "/set acme cumulative_revenue=12M revenue_growth=60%")

    assert updated["text"].startswith("Updated Acme Corp")
    assert "Cumulative revenue: missing → CN¥12M" in updated["text"]
    assert keyboard(updated)["Undo"] == "undo #1"
    card = await say(tg, "/tier acme")
    assert "60%" in card["text"]


async def test_a_card_button_answers_with_a_new_message_and_keeps_the_card(
    tg: FakeTelegram, app: App
) -> None:
    card = await say(tg, "/tier acme")

    await press(tg, card, "Why", then="sendMessage")

    [kept, why] = tg.sent_messages(ANN)
    assert kept == card
    assert why["text"].startswith("Why Acme Corp is ")
    assert "editMessageText" not in tg.methods()


async def test_account_name_with_markup_reaches_telegram_as_literal_text(
    tg: FakeTelegram, app: App
) -> None:
    owner = await app.service.person_by_identity("telegram", str(ANN))
    assert owner is not None
    await app.service.create_account(Actor.cli(), "<b>x</b> & Co", facts={}, owner_id=owner.id)

    card = await say(tg, "/tier <b>x</b> & Co")

    sent = tg.calls("sendMessage")[-1].params["text"]
    assert sent.startswith("<b>&lt;b&gt;x&lt;/b&gt; &amp; Co · Tier ")
    assert card["text"].startswith("<b>x</b> & Co · Tier ")
    # Only the title is bold: the name's own <b> did not become markup.
    title = "<b>x</b> & Co · Tier C"
    assert card["entities"][0] == {"type": "bold", "offset": 0, "length": len(title)}


# -- qualification with buttons


async def test_qualify_steps_replace_the_question_back_and_cancel(
    tg: FakeTelegram, app: App
) -> None:
    question = await say(tg, "/qualify Foo Robotics")
    assert question["text"].startswith("Does the company already run an ERP")
    assert "Back" not in keyboard(question)

    await press(tg, question, "yes")
    [second] = tg.sent_messages(ANN)
    assert second["message_id"] == question["message_id"]
    assert second["text"].startswith("How is its current system working out?")

    await press(tg, second, "Back")
    [first_again] = tg.sent_messages(ANN)
    assert first_again["text"] == question["text"]

    await press(tg, first_again, "Cancel")
    [cancelled] = tg.sent_messages(ANN)
    assert cancelled["text"] == "Qualification cancelled. Nothing was saved."
    assert "reply_markup" not in cancelled
    assert len(tg.calls("sendMessage")) == 1
    assert len(tg.calls("editMessageText")) == 3


async def test_qualify_to_the_end_and_save_creates_the_account(tg: FakeTelegram, app: App) -> None:
    question = await say(tg, "/qualify Foo Robotics")
    await press(tg, question, "yes")
    replacing = "selecting a vendor to replace or extend the current system"
    await press(tg, tg.sent_messages(ANN)[-1], replacing)
    [result] = tg.sent_messages(ANN)
    assert result["text"].startswith("Foo Robotics: grade A")

    await press(tg, result, "Save as account")

    [saved] = tg.sent_messages(ANN)
    assert saved["text"].startswith("Foo Robotics · Tier ")
    card = await say(tg, "/tier foo robotics")
    assert card["text"].startswith("Foo Robotics · Tier ")


async def test_pressing_the_same_answer_twice_changes_nothing_and_fails_nothing(
    tg: FakeTelegram, app: App, caplog: pytest.LogCaptureFixture
) -> None:
    question = await say(tg, "/qualify")
    for _ in range(2):  # a double tap: the second edit would not change the message
        tg.push_callback(ANN, ANN, "qualify cancel", question["message_id"])
    await tg.wait_for("editMessageText", count=2)
    await say(tg, "/whoami")  # the chat still works

    [cancelled, _] = tg.sent_messages(ANN)
    assert cancelled["text"] == "Qualification cancelled. Nothing was saved."
    edits = [call.params["text"] for call in tg.calls("editMessageText")]
    assert edits == ["<b>Qualification cancelled. Nothing was saved.</b>"] * 2
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


# -- groups, people and languages


async def test_in_a_group_only_commands_and_mentions_are_answered(
    tg: FakeTelegram, app: App
) -> None:
    group = {"chat": GROUP, "chat_type": "group"}
    tg.push_message(GROUP, ANN, "acme is doing great this quarter", chat_type="group")
    tg.push_message(GROUP, ANN, "/tier@someotherbot acme", chat_type="group")
    card = await say(tg, "/tier acme", **group)
    mentioned = await say(tg, "@tierbot_test_bot tier acme", **group)

    assert card["text"].startswith("Acme Corp · Tier ")
    assert mentioned["text"] == card["text"]
    assert len(tg.calls("sendMessage")) == 2
    # Several people talk in a group: the answer quotes the question it answers.
    asked = tg.calls("sendMessage")[0].params["reply_parameters"]
    assert asked["message_id"] == 3
    assert tg.pending_updates == []


async def test_an_unknown_person_is_told_their_telegram_id(tg: FakeTelegram, app: App) -> None:
    refused = await say(tg, "/tier acme", chat=9999, user=9999)

    assert "9999" in refused["text"]
    assert "Acme" not in refused["text"]


async def test_chats_outside_the_allowlist_are_refused(tmp_path: Path, tg: FakeTelegram) -> None:
    settings = settings_for(tmp_path, tg, telegram_allowed_chats=[str(GROUP)])
    async with tierbot(settings):
        in_group = await say(tg, "/tier acme", chat=GROUP, chat_type="group")
        in_private = await say(tg, "/tier acme")

    assert in_group["text"].startswith("Acme Corp · Tier ")
    assert in_private["text"] == "This workspace or chat is not set up for tierbot."


async def test_replies_follow_the_persons_telegram_language(tg: FakeTelegram, app: App) -> None:
    card = await say(tg, "/tier acme", language_code="zh-hans")

    assert card["text"].startswith("Acme Corp · 等级 ")


async def test_the_command_menu_is_set_in_english_and_chinese(tg: FakeTelegram, app: App) -> None:
    english = {c["command"]: c["description"] for c in tg.commands_for(None, "")}
    chinese = {c["command"]: c["description"] for c in tg.commands_for(None, "zh")}

    assert {"tier", "set", "qualify", "why", "mine", "help"} <= english.keys()
    assert english["tier"] == "Tier card of an account"
    assert chinese.keys() == english.keys()
    for command in english:
        assert await say(tg, f"/{command}")  # every menu entry gets an answer
