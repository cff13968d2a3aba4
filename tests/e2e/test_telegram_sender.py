"""TelegramSender, as the delivery worker uses it for alerts: recipients, parts, typed errors."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from bot.adapters.telegram.bot import TelegramOptions, build_bot
from bot.adapters.telegram.errors import InvalidRecipientError, TelegramDeliveryError
from bot.adapters.telegram.http import AiohttpRequest
from bot.adapters.telegram.ratelimit import FloodLimits
from bot.adapters.telegram.sender import TelegramSender, chat_for
from bot.conversation.messages import Button, Field, Reply, Section
from bot.testing.fake_telegram import FakeTelegram

TOKEN = "123456:TEST-token"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + (640).to_bytes(4, "big") + (480).to_bytes(4, "big")
ALERT = Reply(
    title="Acme Corp moved from B to A",
    fields=(Field("Score", "81.5"),),
    buttons=(Button("Why", "why #12"),),
)


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN) as fake:
        yield fake


@pytest.fixture
async def sender(tg: FakeTelegram) -> AsyncIterator[TelegramSender]:
    # As the delivery worker builds it; no retries here, so a 429 reaches the caller.
    options = TelegramOptions(TOKEN, tg.root_url, flood_limits=FloodLimits(max_retries=0))
    async with build_bot(options) as bot:
        yield TelegramSender(bot)


async def test_an_alert_goes_to_a_person_as_html_with_its_buttons(
    tg: FakeTelegram, sender: TelegramSender
) -> None:
    message_id = await sender.send("telegram:5001", ALERT)

    [message] = tg.sent_messages(5001)
    assert message_id == str(message["message_id"])
    assert message["text"] == "Acme Corp moved from B to A\nScore: 81.5"
    assert message["reply_markup"]["inline_keyboard"] == [
        [{"text": "Why", "callback_data": "why #12"}]
    ]


async def test_a_long_alert_to_a_group_returns_the_id_of_its_last_part(
    tg: FakeTelegram, sender: TelegramSender
) -> None:
    long = Reply(title="Movers", sections=(Section("All", tuple("m" * 90 for _ in range(100))),))

    message_id = await sender.send("telegram-chat:-100200", long)

    parts = tg.sent_messages(-100200)
    assert len(parts) == 3
    assert message_id == str(parts[-1]["message_id"])


async def test_a_chart_is_sent_as_a_photo_with_a_literal_caption(
    tg: FakeTelegram, sender: TelegramSender
) -> None:
    message_id = await sender.send_png("telegram-chat:-100200", PNG, "Tiers <b>this</b> week")

    [photo] = tg.sent_messages(-100200)
    assert message_id == str(photo["message_id"])
    assert photo["caption"] == "Tiers <b>this</b> week"
    assert (photo["photo"][0]["width"], photo["photo"][0]["height"]) == (640, 480)


@pytest.mark.parametrize(
    ("recipient", "chat"),
    [
        ("telegram:5001", 5001),
        ("telegram-chat:-1001234", -1001234),
        ("telegram-chat:@sales", "@sales"),
    ],
)
def test_recipients_name_a_chat(recipient: str, chat: int | str) -> None:
    assert chat_for(recipient) == chat


@pytest.mark.parametrize(
    "recipient", ["slack:U123", "telegram:", "telegram:@sales", "5001", "telegram:12a"]
)
async def test_a_recipient_that_is_not_telegram_is_a_permanent_error(
    sender: TelegramSender, recipient: str
) -> None:
    with pytest.raises(InvalidRecipientError) as refused:
        await sender.send(recipient, ALERT)
    assert refused.value.retryable is False


async def test_flood_control_and_server_errors_can_be_retried(
    tg: FakeTelegram, sender: TelegramSender
) -> None:
    tg.fail_next("sendMessage", 429, retry_after=7)
    tg.fail_next("sendPhoto", 502)

    with pytest.raises(TelegramDeliveryError) as flooded:
        await sender.send("telegram:5001", ALERT)
    with pytest.raises(TelegramDeliveryError) as unavailable:
        await sender.send_png("telegram:5001", PNG, "chart")

    assert (flooded.value.retryable, flooded.value.retry_after) == (True, 7.0)
    assert (unavailable.value.retryable, unavailable.value.reason) == (True, "network")


async def test_a_blocked_bot_or_a_missing_chat_is_permanent(
    tg: FakeTelegram, sender: TelegramSender
) -> None:
    tg.block(5001)
    tg.fail_next("sendMessage", 400)  # "Bad Request: chat not found"

    with pytest.raises(TelegramDeliveryError) as missing:
        await sender.send("telegram-chat:-100999", ALERT)
    with pytest.raises(TelegramDeliveryError) as blocked:
        await sender.send("telegram:5001", ALERT)

    assert (missing.value.retryable, missing.value.reason) == (False, "bad_request")
    assert "chat not found" in str(missing.value).casefold()
    assert (blocked.value.retryable, blocked.value.reason) == (False, "forbidden")


async def test_a_button_too_long_for_telegram_is_a_permanent_error_without_a_store(
    tg: FakeTelegram, sender: TelegramSender
) -> None:
    alert = Reply(title="Moved", buttons=(Button("Why", "why " + "Very Long Company " * 5),))

    with pytest.raises(TelegramDeliveryError) as refused:
        await sender.send("telegram:5001", alert)

    assert (refused.value.retryable, refused.value.reason) == (False, "button_too_long")
    assert tg.calls("sendMessage") == []


async def test_through_aiohttp_messages_go_as_json_and_photos_as_multipart_form_data(
    tg: FakeTelegram,
) -> None:
    root = tg.root_url.rstrip("/")
    bot = Bot(TOKEN, base_url=f"{root}/bot", request=AiohttpRequest())
    async with bot:
        sender = TelegramSender(bot)
        await sender.send("telegram:5001", ALERT)
        await sender.send_png("telegram:5001", PNG, "chart")

    [message] = tg.calls("sendMessage")
    [photo] = tg.calls("sendPhoto")
    assert message.headers["Content-Type"] == "application/json"
    # In a JSON body the keyboard is an object, not JSON text inside a string.
    assert message.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "Why", "callback_data": "why #12"}]]
    }
    assert photo.headers["Content-Type"].startswith("multipart/form-data")
    assert photo.files["photo"].data == PNG
