"""Webhook mode: the webhook server, the secret token, redeliveries, and the runner itself.

Updates are POSTed the way Telegram does it - by FakeTelegram's webhook delivery, or by
hand to test what Telegram would never send (a wrong secret, a second copy).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.adapters.telegram import webhook as telegram_webhook
from bot.adapters.telegram.bot import TelegramOptions, build_application
from bot.adapters.telegram.errors import TelegramSetupError
from bot.adapters.telegram.runner import Webhook, run_telegram, serving, webhook_for
from bot.app import App, running_app
from bot.service.actor import Actor
from bot.settings import Settings, load_settings
from bot.store.enums import Role
from bot.testing.databases import sqlite_url
from bot.testing.fake_telegram import FakeTelegram

TOKEN = "123456:TEST-token"
SECRET = "webhook-secret_1"
ANN = 5001
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN) as fake:
        yield fake


@pytest.fixture
def settings(tmp_path: Path, tg: FakeTelegram) -> Settings:
    return load_settings(
        database_url=sqlite_url(tmp_path),
        telegram_bot_token=TOKEN,
        telegram_api_url=tg.root_url,
        telegram_webhook_secret=SECRET,
        telegram_allowed_chats=[],
        default_role=None,
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[App]:
    async with running_app(settings) as running:
        ann = await running.service.add_person(Actor.cli(), "Ann", Role.MANAGER, telegram="5001")
        await running.service.create_account(Actor.cli(), "Acme Corp", facts={}, owner_id=ann.id)
        yield running


@pytest.fixture
def webhook() -> Webhook:
    port = free_port()
    return Webhook(f"http://127.0.0.1:{port}/hooks/telegram", SECRET, "127.0.0.1", port)


@pytest.fixture
async def serving_webhook(app: App, webhook: Webhook) -> AsyncIterator[None]:
    options = TelegramOptions.from_settings(app.settings)
    application = build_application(options, app.conversation, app.texts)
    async with serving(application, app.texts, webhook=webhook):
        yield


async def post(url: str, update: dict[str, Any], secret: str | None = SECRET) -> int:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=update, headers=headers) as response,
    ):
        return response.status


@pytest.mark.usefixtures("serving_webhook")
async def test_telegram_delivers_to_the_webhook_path_with_the_secret(
    tg: FakeTelegram, webhook: Webhook
) -> None:
    delivered = await tg.wait_for_delivery(tg.push_message(ANN, ANN, "/tier acme"))
    [reply] = await tg.wait_for("sendMessage")

    assert tg.webhook is not None
    assert (tg.webhook.url, tg.webhook.secret_token) == (webhook.url, SECRET)
    assert tg.webhook.allowed_updates == ["message", "callback_query"]
    assert delivered.url == webhook.url
    assert reply.params["text"].startswith("<b>Acme Corp · Tier ")


@pytest.mark.usefixtures("serving_webhook")
async def test_requests_without_the_right_secret_are_refused_and_not_processed(
    tg: FakeTelegram, webhook: Webhook
) -> None:
    update = tg.make_update(ANN, ANN, "/tier acme")

    refused = [await post(webhook.url, update, secret) for secret in ("wrong", None)]
    await asyncio.sleep(0.1)
    assert refused == [403, 403]
    assert tg.calls("sendMessage") == []

    # The refused copies left no trace: the same update_id is handled when it comes right.
    assert await post(webhook.url, update) == 200
    await tg.wait_for("sendMessage")
    other_path = webhook.url.replace("/hooks/telegram", "/other")
    assert await post(other_path, tg.make_update(ANN, ANN, "/tier acme")) == 404


@pytest.mark.usefixtures("serving_webhook")
async def test_a_body_that_is_not_an_update_is_refused_and_the_next_one_still_served(
    tg: FakeTelegram, webhook: Webhook
) -> None:
    headers = {SECRET_HEADER: SECRET, "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as session:
        async with session.post(webhook.url, data=b"{not json", headers=headers) as response:
            assert response.status == 400
        plain = {SECRET_HEADER: SECRET, "Content-Type": "text/plain"}
        async with session.post(webhook.url, data=b"{}", headers=plain) as response:
            assert response.status == 403

    # With or without a trailing slash, the webhook's path is served.
    assert await post(webhook.url + "/", tg.make_update(ANN, ANN, "/tier acme")) == 200
    [reply] = await tg.wait_for("sendMessage")
    assert reply.params["text"].startswith("<b>Acme Corp · Tier ")


@pytest.mark.usefixtures("serving_webhook")
async def test_a_redelivered_update_is_processed_once(tg: FakeTelegram, webhook: Webhook) -> None:
    update = tg.make_update(ANN, ANN, "/set acme cumulative_revenue=12M")

    assert [await post(webhook.url, update) for _ in range(2)] == [200, 200]
    assert await post(webhook.url, tg.make_update(ANN, ANN, "/history acme")) == 200
    await tg.wait_for("sendMessage", count=2)
    await asyncio.sleep(0.1)

    [changed, history] = [c.params["text"] for c in tg.calls("sendMessage")]
    assert changed.startswith("<b>Updated Acme Corp")
    assert "Acme Corp" in history


def test_webhook_mode_needs_the_secret() -> None:
    with pytest.raises(TelegramSetupError, match="TELEGRAM_WEBHOOK_SECRET"):
        webhook_for("https://bot.example.com/telegram", None, "0.0.0.0", 8443)


async def test_a_wrong_token_stops_start_up_with_a_clear_error(
    tg: FakeTelegram, settings: Settings
) -> None:
    wrong = settings.model_copy(update={"telegram_bot_token": "999:WRONG"})
    async with running_app(wrong) as app:
        with pytest.raises(TelegramSetupError, match="TELEGRAM_BOT_TOKEN"):
            await run_telegram(app)


# -- the runner as `tierbot run telegram` starts it


async def _run_until_answered(tg: FakeTelegram, run: asyncio.Task[None], started: str) -> str:
    await tg.wait_for(started)
    tg.push_message(ANN, ANN, "/tier acme")
    [reply] = await tg.wait_for("sendMessage")
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    return str(reply.params["text"])


async def test_run_telegram_polls_by_default_and_stops_when_cancelled(
    tg: FakeTelegram, app: App
) -> None:
    run = asyncio.create_task(run_telegram(app))

    answer = await _run_until_answered(tg, run, "getUpdates")

    assert answer.startswith("<b>Acme Corp · Tier ")
    assert tg.methods()[:4] == ["getMe", "setMyCommands", "setMyCommands", "deleteWebhook"]


async def test_run_telegram_serves_a_webhook_and_leaves_it_registered(
    tg: FakeTelegram, app: App, webhook: Webhook
) -> None:
    run = asyncio.create_task(
        run_telegram(app, webhook_url=webhook.url, listen=webhook.listen, port=webhook.port)
    )

    answer = await _run_until_answered(tg, run, "setWebhook")

    assert answer.startswith("<b>Acme Corp · Tier ")
    # Other replicas may still be serving: stopping one does not delete the webhook.
    assert "deleteWebhook" not in tg.methods()
    assert tg.webhook is not None


async def test_registering_the_webhook_retries_a_server_error_and_then_serves(
    tg: FakeTelegram, app: App, webhook: Webhook, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(telegram_webhook, "REGISTER_PAUSE", 0.01)
    tg.fail_next("setWebhook", 502, times=2)
    options = TelegramOptions.from_settings(app.settings)
    application = build_application(options, app.conversation, app.texts)

    async with serving(application, app.texts, webhook=webhook):
        assert tg.webhook is not None
        assert tg.webhook.url == webhook.url
        tg.push_message(ANN, ANN, "/tier acme")
        [reply] = await tg.wait_for("sendMessage")

    assert [c.method for c in tg.calls("setWebhook")] == ["setWebhook"] * 3
    assert reply.params["text"].startswith("<b>Acme Corp · Tier ")


async def test_a_webhook_url_telegram_refuses_stops_start_up_with_a_clear_error(
    tg: FakeTelegram, app: App, webhook: Webhook
) -> None:
    refusal = "Bad Request: bad webhook: HTTPS url must be provided"
    tg.fail_next("setWebhook", 400, description=refusal)
    options = TelegramOptions.from_settings(app.settings)
    application = build_application(options, app.conversation, app.texts)

    with pytest.raises(TelegramSetupError, match=r"(?i)https url must be provided"):
        async with serving(application, app.texts, webhook=webhook):
            pass
    assert len(tg.calls("setWebhook")) == 1
