"""Telegram's platform rules, with a scripted conversation in place of the core.

The adapter runs on python-telegram-bot's real networking against FakeTelegram; a small
FakeConversation answers with whatever Reply a test needs (long, with an image, slow).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest

from bot.adapters.telegram.bot import TelegramApp, TelegramOptions, build_application, sender_of
from bot.adapters.telegram.ratelimit import FloodLimits
from bot.adapters.telegram.runner import serving
from bot.conversation.messages import (
    Button,
    ChatKind,
    Image,
    IncomingMessage,
    Platform,
    Reply,
    Section,
)
from bot.conversation.texts import TextsCache
from bot.i18n import TextCatalog
from bot.testing.fake_telegram import FakeTelegram

TOKEN = "123456:TEST-token"
ANN, BOB = 5001, 5002
GROUP = -1001234
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + (8).to_bytes(4, "big") * 2
QUICK_LIMITS = FloodLimits(chat_per_second=100, chat_burst=10)

Script = Callable[[IncomingMessage], Reply | list[Reply]]


def echo(message: IncomingMessage) -> Reply:
    return Reply(title=f"heard: {message.text}")


@dataclass
class FakeConversation:
    """Answers with ``script(message)`` and remembers every message it was given."""

    script: Script = echo
    messages: list[IncomingMessage] = field(default_factory=list)
    gates: dict[str, asyncio.Event] = field(default_factory=dict)  # text -> wait before answering

    async def handle(self, message: IncomingMessage) -> list[Reply]:
        self.messages.append(message)
        if message.text in self.gates:
            await self.gates[message.text].wait()
        answer = self.script(message)
        return answer if isinstance(answer, list) else [answer]


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN) as fake:
        yield fake


@pytest.fixture
def conversation() -> FakeConversation:
    return FakeConversation()


@pytest.fixture
def limits() -> FloodLimits | None:
    return QUICK_LIMITS


@pytest.fixture
async def bot(
    tg: FakeTelegram, conversation: FakeConversation, limits: FloodLimits | None
) -> AsyncIterator[TelegramApp]:
    options = TelegramOptions(token=TOKEN, api_url=tg.root_url, flood_limits=limits)
    texts = TextsCache(TextCatalog())
    async with serving(build_application(options, conversation, texts), texts) as application:
        yield application


def texts_sent(tg: FakeTelegram, chat: int) -> list[str]:
    return [m.get("text", "") for m in tg.sent_messages(chat)]


# -- what reaches the conversation core


@pytest.mark.usefixtures("bot")
async def test_a_message_becomes_an_incoming_message_with_its_delivery_id(
    tg: FakeTelegram, conversation: FakeConversation
) -> None:
    update_id = tg.push_message(ANN, ANN, "/tier acme", first_name="Ann", language_code="zh-hans")
    await tg.wait_for("sendMessage")

    assert conversation.messages == [
        IncomingMessage(
            platform=Platform.TELEGRAM,
            user_id=str(ANN),
            chat_id=str(ANN),
            text="tier acme",
            chat_kind=ChatKind.PRIVATE,
            user_name="Ann",
            locale="zh-hans",
            delivery_id=str(update_id),
        )
    ]


@pytest.mark.usefixtures("bot")
async def test_a_pressed_button_sends_its_command_as_a_button(
    tg: FakeTelegram, conversation: FakeConversation
) -> None:
    update_id = tg.push_callback(-100200, ANN, "why #12", 7, chat_type="supergroup")
    await tg.wait_for("sendMessage")

    [pressed] = conversation.messages
    assert (pressed.text, pressed.is_button, pressed.chat_id) == ("why #12", True, "-100200")
    assert (pressed.chat_kind, pressed.delivery_id) == (ChatKind.GROUP, str(update_id))
    assert tg.calls("answerCallbackQuery")


@pytest.mark.usefixtures("bot")
async def test_in_a_group_mentions_and_replies_to_the_bot_are_for_it(
    tg: FakeTelegram, conversation: FakeConversation
) -> None:
    group = {"chat_type": "supergroup"}
    tg.push_message(GROUP, ANN, "/tier@tierbot_test_bot acme", **group)
    [answer] = await tg.wait_for("sendMessage")
    reply = tg.make_update(GROUP, ANN, "and globex?", **group)
    reply["message"]["reply_to_message"] = tg.sent_messages(GROUP)[0]
    tg.push_raw(reply)
    tg.push_message(GROUP, BOB, "lunch? cc @someone", **group)
    tg.push_message(GROUP, BOB, "what tier is acme, @TierBot_Test_Bot?", **group)
    await tg.wait_for("sendMessage", count=3)

    heard = [(m.user_id, m.text, m.chat_kind) for m in conversation.messages]
    assert heard == [
        (str(ANN), "tier acme", ChatKind.GROUP),
        (str(ANN), "and globex?", ChatKind.GROUP),
        (str(BOB), "what tier is acme ?", ChatKind.GROUP),
    ]
    assert answer.params["reply_parameters"]["message_id"] == 1


# -- what reaches Telegram


@pytest.mark.usefixtures("bot")
async def test_a_long_reply_is_split_and_sent_in_order_with_the_keyboard_last(
    tg: FakeTelegram, conversation: FakeConversation
) -> None:
    lines = tuple(f"line {n:04d} " + "x" * 60 for n in range(200))
    conversation.script = lambda _: Reply(
        title="Long", sections=(Section("All", lines),), buttons=(Button("More", "more"),)
    )
    tg.push_message(ANN, ANN, "long")
    await tg.wait_for("sendMessage", count=4)
    await asyncio.sleep(0.05)

    parts = tg.sent_messages(ANN)
    assert len(parts) == 4
    shown = "\n".join(part["text"] for part in parts)
    assert [line for line in shown.splitlines() if line.startswith("• ")] == [
        f"• {line}" for line in lines
    ]
    assert ["reply_markup" in part for part in parts] == [False, False, False, True]
    assert all(len(call.params["text"]) <= 4096 for call in tg.calls("sendMessage"))


@pytest.mark.usefixtures("bot")
async def test_an_image_is_sent_as_a_photo_after_the_text(
    tg: FakeTelegram, conversation: FakeConversation
) -> None:
    conversation.script = lambda _: Reply(title="Tiers", image=Image(PNG, "Tier chart"))
    tg.push_message(ANN, ANN, "chart")
    [photo] = await tg.wait_for("sendPhoto")

    assert tg.methods().index("sendMessage") < tg.methods().index("sendPhoto")
    assert photo.files["photo"].data == PNG
    assert photo.params["caption"] == "Tier chart"


@pytest.mark.usefixtures("bot")
async def test_a_button_with_a_long_command_still_works_when_pressed(
    tg: FakeTelegram, conversation: FakeConversation
) -> None:
    long_command = "tier " + "Very Long Company Name " * 4
    conversation.script = lambda m: Reply(
        title=f"heard: {m.text}", buttons=(Button("Open", long_command),)
    )
    tg.push_message(ANN, ANN, "show")
    [call] = await tg.wait_for("sendMessage")
    data = call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    tg.push_callback(ANN, ANN, data, tg.sent_messages(ANN)[0]["message_id"])
    await tg.wait_for("sendMessage", count=2)

    assert len(data.encode()) <= 64
    assert conversation.messages[-1].text == long_command


@pytest.mark.usefixtures("bot")
async def test_a_button_from_before_a_restart_is_answered_with_a_notice(
    tg: FakeTelegram, conversation: FakeConversation
) -> None:
    tg.push_callback(ANN, ANN, "tb:forgotten-token", 3)
    [answer] = await tg.wait_for("answerCallbackQuery")

    assert answer.params["text"] == "This button has expired. Please type the command again."
    assert answer.params["show_alert"] is True
    assert conversation.messages == []


@pytest.mark.usefixtures("bot")
async def test_an_answer_that_cannot_replace_the_question_is_sent_as_new(
    tg: FakeTelegram, conversation: FakeConversation
) -> None:
    tg.push_message(ANN, ANN, "qualify")
    await tg.wait_for("sendMessage")
    tg.fail_next("editMessageText", 400, description="Bad Request: message can't be edited")
    question = tg.sent_messages(ANN)[0]["message_id"]
    tg.push_callback(ANN, ANN, "qualify answer stage=selecting", question)
    await tg.wait_for("sendMessage", count=2)

    assert texts_sent(tg, ANN) == ["heard: qualify", "heard: qualify answer stage=selecting"]


async def test_an_alert_sent_by_the_running_bot_keeps_its_long_buttons_working(
    tg: FakeTelegram, conversation: FakeConversation, bot: TelegramApp
) -> None:
    long_command = "history " + "Very Long Company Name " * 4
    alert = Reply(title="Moved to A", buttons=(Button("History", long_command),))

    message_id = await sender_of(bot).send(f"telegram:{ANN}", alert)
    data = tg.sent_messages(ANN)[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    tg.push_callback(ANN, ANN, data, int(message_id))
    await tg.wait_for("sendMessage", count=2)

    assert conversation.messages[-1].text == long_command


# -- flood control, blocked people, ordering


@pytest.mark.parametrize("limits", [FloodLimits()])
@pytest.mark.usefixtures("bot")
async def test_flood_control_is_waited_out_and_the_message_sent(tg: FakeTelegram) -> None:
    tg.fail_next("sendMessage", 429, retry_after=1)
    started = time.monotonic()
    tg.push_message(ANN, ANN, "hello")
    await tg.wait_for("sendMessage", count=2)

    [first, second] = tg.calls("sendMessage")
    assert second.time - first.time >= 1.0
    assert texts_sent(tg, ANN) == ["heard: hello"]
    assert time.monotonic() - started < 2.5


@pytest.mark.parametrize("limits", [FloodLimits(chat_per_second=10, chat_burst=1)])
@pytest.mark.usefixtures("bot")
async def test_messages_to_one_chat_are_paced_and_other_chats_are_not(
    tg: FakeTelegram, conversation: FakeConversation
) -> None:
    conversation.script = lambda m: [Reply(title=f"{m.text} {n}") for n in range(3)]
    tg.push_message(ANN, ANN, "ann")
    tg.push_message(BOB, BOB, "bob")
    await tg.wait_for("sendMessage", count=6)

    def times(chat: int) -> list[float]:
        return [c.time for c in tg.calls("sendMessage") if c.params["chat_id"] == chat]

    ann, bob = times(ANN), times(BOB)
    for sent in (ann, bob):
        # 10 a second, one at a time: 2 x 100 ms apart (less the jitter of the HTTP calls).
        assert sent[2] - sent[0] >= 0.15
    # Neither chat waited for the other's pace: each began before the other had finished.
    assert bob[0] < ann[2]
    assert ann[0] < bob[2]


@pytest.mark.usefixtures("bot")
async def test_a_person_who_blocked_the_bot_does_not_stop_it(
    tg: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    tg.block(ANN)
    tg.push_message(ANN, ANN, "hello")
    tg.push_message(BOB, BOB, "hello")
    await tg.wait_for("sendMessage", count=2)

    assert texts_sent(tg, BOB) == ["heard: hello"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("forbidden" in warning for warning in warnings)


@pytest.mark.usefixtures("bot")
async def test_one_chat_waits_for_its_own_slow_answer_but_not_for_other_chats(
    tg: FakeTelegram, conversation: FakeConversation
) -> None:
    gate = conversation.gates["slow"] = asyncio.Event()
    tg.push_message(ANN, ANN, "slow")
    tg.push_message(ANN, ANN, "next")
    tg.push_message(BOB, BOB, "meanwhile")
    await tg.wait_for("sendMessage")
    assert texts_sent(tg, BOB) == ["heard: meanwhile"]
    assert texts_sent(tg, ANN) == []

    gate.set()
    await tg.wait_for("sendMessage", count=3)
    assert texts_sent(tg, ANN) == ["heard: slow", "heard: next"]
