"""FakeTelegram against python-telegram-bot's real networking (httpx client, tornado webhook)."""

from __future__ import annotations

import asyncio
import datetime as dtm
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from bot.testing.fake_telegram import FakeTelegram, parse_html

TOKEN = "123456:TEST-token"
SECRET = "webhook-secret_1"
KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Regrade", callback_data="regrade:acme")]])


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN) as fake:
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=tg.base_url, base_file_url=tg.base_file_url) as client:
        yield client


def _app(tg: FakeTelegram) -> Application:  # type: ignore[type-arg]
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(tg.base_url)
        .base_file_url(tg.base_file_url)
        .build()
    )

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("Welcome", reply_markup=KEYBOARD)

    async def regrade(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Regrading")
        await query.edit_message_text(f"Regraded {query.data}")

    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(regrade))
    return app


@asynccontextmanager
async def _polling(app: Application) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    async with app:
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0)
        await app.start()
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- polling with an Application


async def test_polled_command_reaches_handler_and_reply_is_recorded(tg: FakeTelegram) -> None:
    async with _polling(_app(tg)):
        update_id = tg.push_message(42, 42, "/start", first_name="Ada", language_code="zh-hans")
        [sent] = await tg.wait_for("sendMessage")

    assert sent.params["chat_id"] == 42
    assert sent.params["text"] == "Welcome"
    assert sent.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "regrade:acme"
    [message] = tg.sent_messages(42)
    assert message["reply_markup"] == sent.params["reply_markup"]
    assert message["chat"] == {"id": 42, "type": "private", "first_name": "Ada"}
    # initialize -> getMe; start_polling -> deleteWebhook, then long polls; stop -> a last poll.
    assert tg.methods()[:3] == ["getMe", "deleteWebhook", "getUpdates"]
    assert tg.calls("getUpdates")[-1].params["offset"] == update_id + 1
    assert tg.pending_updates == []


async def test_group_command_is_addressed_to_the_bot(tg: FakeTelegram) -> None:
    async with _polling(_app(tg)):
        tg.push_message(-100200, 42, "/start", chat_type="group", chat_title="Sales")
        [sent] = await tg.wait_for("sendMessage")

    assert sent.params["chat_id"] == -100200
    assert tg.sent_messages(-100200)[0]["chat"] == {
        "id": -100200,
        "type": "group",
        "title": "Sales",
    }


async def test_callback_query_is_answered_and_message_edited(tg: FakeTelegram) -> None:
    async with _polling(_app(tg)):
        tg.push_message(42, 42, "/start")
        [sent] = await tg.wait_for("sendMessage")
        message_id = tg.sent_messages(42)[0]["message_id"]
        tg.push_callback(42, 42, "regrade:acme", message_id)
        [answer] = await tg.wait_for("answerCallbackQuery")
        await tg.wait_for("editMessageText")

    assert answer.params["text"] == "Regrading"
    [message] = tg.sent_messages(42)
    assert message["text"] == "Regraded regrade:acme"
    # editMessageText without reply_markup drops the keyboard, as on Telegram.
    assert "reply_markup" not in message
    assert sent.params["text"] == "Welcome"


# -- webhook mode


async def test_webhook_delivers_with_secret_and_rejects_wrong_or_missing_secret(
    tg: FakeTelegram,
) -> None:
    app = _app(tg)
    port = _free_port()
    async with app:
        assert app.updater is not None
        await app.updater.start_webhook(
            listen="127.0.0.1", port=port, url_path="telegram", secret_token=SECRET
        )
        await app.start()
        try:
            # The fake delivers queued updates to the webhook PTB registered.
            delivered = await tg.wait_for_delivery(tg.push_message(42, 42, "/start"))
            await tg.wait_for("sendMessage")
            statuses = []
            async with aiohttp.ClientSession() as session:
                for secret in ("wrong", None, SECRET):
                    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
                    update = tg.make_update(42, 42, "/start")
                    async with session.post(
                        delivered.url, json=update, headers=headers
                    ) as response:
                        statuses.append(response.status)
            await tg.wait_for("sendMessage", count=2)
        finally:
            await app.updater.stop()
            await app.stop()

    [webhook] = tg.calls("setWebhook")
    assert webhook.params["url"] == f"http://127.0.0.1:{port}/telegram"
    assert webhook.params["secret_token"] == SECRET
    assert delivered.status == 200
    assert statuses == [403, 403, 200]
    assert "deleteWebhook" not in tg.methods()


async def test_polling_is_refused_while_a_webhook_is_set(tg: FakeTelegram, bot: Bot) -> None:
    await bot.set_webhook("http://127.0.0.1:9/unused")

    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook()
    assert await bot.get_updates() == ()


# -- the Bot API surface


async def test_long_poll_returns_an_update_pushed_while_waiting(tg: FakeTelegram, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await tg.wait_for("getUpdates")
    update_id = tg.push_message(42, 42, "hello")

    [update] = await poll
    assert update.update_id == update_id
    assert update.message is not None
    assert update.message.text == "hello"
    # The next poll's offset confirms it.
    assert await bot.get_updates(offset=update_id + 1, timeout=0) == ()
    assert tg.pending_updates == []


async def test_long_poll_times_out_empty(tg: FakeTelegram, bot: Bot) -> None:
    assert await bot.get_updates(timeout=dtm.timedelta(seconds=0.05)) == ()


async def test_newer_poll_ends_older_one_with_conflict(tg: FakeTelegram, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await tg.wait_for("getUpdates")

    # A second process polling with the same token.
    async with Bot(TOKEN, base_url=tg.base_url) as replica:
        await replica.get_updates(timeout=0)

    with pytest.raises(Conflict, match="terminated by other getUpdates"):
        await first


async def test_flood_control_raises_retry_after(
    tg: FakeTelegram, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without PTB_TIMEDELTA, RetryAfter's constructor emits PTBDeprecationWarning (an error here).
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    tg.fail_next("sendMessage", error_code=429, retry_after=1)

    with pytest.raises(RetryAfter) as limited:
        await bot.send_message(42, "x")
    await bot.send_message(42, "x")

    assert limited.value.retry_after == dtm.timedelta(seconds=1)
    assert len(tg.calls("sendMessage")) == 2


async def test_bad_request_forbidden_and_wrong_token(tg: FakeTelegram, bot: Bot) -> None:
    tg.fail_next("sendMessage", error_code=400)
    tg.block(7)

    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(42, "x")
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(7, "x")
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=tg.base_url):
            pass


async def test_html_is_parsed_into_entities_and_checked(tg: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(42, "<b>Acme</b> is tier &lt;A&gt;", parse_mode="HTML")

    assert sent.text == "Acme is tier <A>"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 4)]
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(42, "score < 5", parse_mode="HTML")
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text(
            "<b>Acme</b> is tier &lt;A&gt;", 42, sent.message_id, parse_mode="HTML"
        )


def test_parse_html_nesting_links_and_utf16_offsets() -> None:
    source = '😀 <b>x<i>y</i></b> <a href="https://e.x">l</a>'
    text, entities = parse_html(source + '<pre><code class="language-py">p</code></pre>')

    assert text == "😀 xy lp"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 2},
        {"type": "italic", "offset": 4, "length": 1},
        {"type": "text_link", "url": "https://e.x", "offset": 6, "length": 1},
        {"type": "pre", "language": "py", "offset": 7, "length": 1},
    ]
    with pytest.raises(Exception, match="Unsupported start tag"):
        parse_html("<br>")
    with pytest.raises(Exception, match="end tag"):
        parse_html("<b>open")


async def test_commands_per_language_and_scope(tg: FakeTelegram, bot: Bot) -> None:
    commands = [BotCommand("tier", "Grade an account")]
    chinese = [BotCommand("tier", "给客户评级")]

    await bot.set_my_commands(commands)
    await bot.set_my_commands(chinese, scope=BotCommandScopeAllPrivateChats(), language_code="zh")

    [_, scoped] = tg.calls("setMyCommands")
    assert scoped.params["language_code"] == "zh"
    assert scoped.params["scope"] == {"type": "all_private_chats"}
    assert await bot.get_my_commands() == tuple(commands)
    assert tg.commands_for({"type": "all_private_chats"}, "zh")[0]["description"] == "给客户评级"
    with pytest.raises(BadRequest):
        await bot.set_my_commands([BotCommand("Tier-Bad", "x")])
    with pytest.raises(BadRequest):
        await bot.set_my_commands(commands, language_code="zh-CN")


async def test_photo_upload_and_download(tg: FakeTelegram, bot: Bot) -> None:
    png = (
        b"\x89PNG\r\n\x1a\n"
        + b"\x00\x00\x00\rIHDR"
        + (640).to_bytes(4, "big")
        + (480).to_bytes(4, "big")
    )

    message = await bot.send_photo(42, png, caption="Tier chart", filename="chart.png")
    await bot.send_chat_action(42, "upload_photo")
    file = await bot.get_file(message.photo[-1].file_id)
    downloaded = await file.download_as_bytearray()

    [call] = tg.calls("sendPhoto")
    assert call.files["photo"].data == png
    assert (message.photo[-1].width, message.photo[-1].height) == (640, 480)
    assert message.caption == "Tier chart"
    assert bytes(downloaded) == png


async def test_document_markup_edit_and_delete(tg: FakeTelegram, bot: Bot) -> None:
    document = await bot.send_document(42, b"xlsx bytes", filename="tiers.xlsx")
    message = await bot.send_message(42, "Pick one", reply_markup=KEYBOARD)

    edited = await bot.edit_message_reply_markup(42, message.message_id, reply_markup=None)
    await bot.delete_message(42, document.message_id)

    assert document.document is not None
    assert document.document.file_name == "tiers.xlsx"
    assert isinstance(edited, Message)
    assert edited.reply_markup is None
    assert [m["message_id"] for m in tg.sent_messages(42)] == [message.message_id]
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(42, document.message_id)


async def test_close_and_log_out(tg: FakeTelegram, bot: Bot) -> None:
    assert await bot.log_out()
    assert await bot.close()
