"""``run_slack`` end to end: Socket Mode against FakeSlack's websocket, and the HTTP variant,
over the real core on SQLite."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.adapters.slack.errors import SlackSetupError
from bot.adapters.slack.runner import EVENTS_PATH, run_slack
from bot.app import App, running_app
from bot.service.actor import Actor
from bot.settings import Settings
from bot.store.enums import Role
from bot.testing import signing
from bot.testing.databases import sqlite_url
from bot.testing.fake_slack import FakeSlack

SECRET = "socket-signing-secret"
ANN = signing.USER_ID


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
async def app(tmp_path: Path, slack: FakeSlack) -> AsyncIterator[App]:
    settings = Settings(TIERBOT_DATABASE_URL=sqlite_url(tmp_path), SLACK_BOT_TOKEN="xoxb-test",
                        SLACK_APP_TOKEN="xapp-test", SLACK_SIGNING_SECRET=SECRET,
                        SLACK_API_URL=slack.api_url)
    async with running_app(settings) as running:
        ann = await running.service.add_person(Actor.cli(), "Ann", Role.MANAGER, slack=ANN)
        await running.service.create_account(Actor.cli(), "Acme Corp", owner_id=ann.id,
                                             facts={"cumulative_revenue": 1_200_000})
        yield running


@asynccontextmanager
async def running_slack(app: App, **options: Any) -> AsyncIterator[None]:
    """run_slack in the background; cancelled (as Ctrl-C does) on the way out."""
    task = asyncio.create_task(run_slack(app, **options))
    try:
        yield
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


@contextmanager
def free_port() -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    yield port


def header(params: dict[str, Any]) -> str:
    return str(params["blocks"][0]["text"]["text"])


async def test_socket_mode_slash_command_is_acked_and_answered(
    app: App, slack: FakeSlack
) -> None:
    async with running_slack(app):
        fields = signing.slash_command("/tier", "acme", response_url=slack.response_url())
        envelope = await slack.socket_send("slash_commands", fields)
        ack = await slack.wait_for_ack(envelope)
        [reply] = await slack.wait_for("response_url")

    assert ack == {"envelope_id": envelope}
    assert header(reply.params).startswith("Acme Corp · Tier ")
    [connect] = slack.calls("apps.connections.open")
    assert connect.token == "xapp-test"


async def test_socket_mode_redelivered_event_applies_once(app: App, slack: FakeSlack) -> None:
    event = signing.event_callback(
        {"type": "message", "channel": "D0ANN0001", "channel_type": "im", "user": ANN,
         "text": "set acme cumulative_revenue=5M", "ts": f"{time.time():.6f}"},
        event_id="Ev0SOCKET1",
    )
    async with running_slack(app):
        first = await slack.socket_send("events_api", event)
        await slack.wait_for("chat.postMessage")
        again = await slack.socket_send("events_api", event, retry_attempt=1,
                                        retry_reason="timeout")
        await slack.wait_for_ack(first)
        await slack.wait_for_ack(again)
        await asyncio.sleep(0.1)  # room for a wrongly repeated answer to arrive

    [reply] = slack.calls("chat.postMessage")
    assert header(reply.params) == "Updated Acme Corp"
    [account] = (await app.service.find_accounts("Acme Corp", limit=1))
    card = await app.service.card(account.account.id)
    assert card.facts["cumulative_revenue"] == 5_000_000
    assert card.account.version == 2


async def test_http_mode_serves_signed_requests(app: App, slack: FakeSlack) -> None:
    with free_port() as port:
        async with running_slack(app, http=True, host="127.0.0.1", port=port):
            fields = signing.slash_command("/tier", "acme", response_url=slack.response_url())
            request = signing.signed_form(SECRET, fields)
            async with aiohttp.ClientSession() as session:
                for _ in range(50):  # the server starts in the background
                    try:
                        response = await session.post(f"http://127.0.0.1:{port}{EVENTS_PATH}",
                                                      data=request.body, headers=request.headers)
                        break
                    except aiohttp.ClientConnectionError:
                        await asyncio.sleep(0.02)
                status = response.status
                response.release()
            [reply] = await slack.wait_for("response_url")

    assert status == 200
    assert header(reply.params).startswith("Acme Corp · Tier ")


@pytest.mark.parametrize(
    ("http", "missing", "variable"),
    [(False, "slack_app_token", "SLACK_APP_TOKEN"),
     (True, "slack_signing_secret", "SLACK_SIGNING_SECRET")],
)
async def test_missing_setting_is_named_before_connecting(
    app: App, slack: FakeSlack, http: bool, missing: str, variable: str
) -> None:
    settings = app.settings.model_copy(update={missing: None})
    lacking = App(settings, app.database, app.service, app.conversation, app.texts, app.clock)

    with pytest.raises(SlackSetupError, match=variable):
        await run_slack(lacking, http=http)

    assert slack.calls() == []
