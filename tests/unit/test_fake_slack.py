"""FakeSlack against the real slack_sdk and slack_bolt networking code."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltRequest, AsyncRespond, AsyncSay
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.signature import Clock, SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.testing import signing
from bot.testing.fake_slack import FakeSlack

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"
SECRET = "test-signing-secret"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)


def _tier_app(client: AsyncWebClient) -> AsyncApp:
    """A small bolt app exercising ack, say and respond."""
    app = AsyncApp(client=client, signing_secret=SECRET)

    @app.command("/tier")
    async def tier(
        ack: AsyncAck, say: AsyncSay, respond: AsyncRespond, command: dict[str, Any]
    ) -> None:
        await ack()
        await say(f"Grading {command['text']}")
        await respond("Done")

    return app


@asynccontextmanager
async def _socket_mode(app: AsyncApp) -> AsyncIterator[AsyncSocketModeHandler]:
    """Connect `app` to the fake's Socket Mode endpoint (found via apps.connections.open)."""
    handler = AsyncSocketModeHandler(app, APP_TOKEN)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    try:
        yield handler
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]


class _FixedClock(Clock):
    def __init__(self, now: float) -> None:
        self._now = now

    def now(self) -> float:
        return self._now


# -- Web API


async def test_auth_test_reports_bot_identity(slack: FakeSlack, client: AsyncWebClient) -> None:
    response = await client.auth_test()

    assert response["user_id"] == slack.bot_user_id
    assert response["bot_id"] == slack.bot_id
    assert response["team_id"] == slack.team_id
    [call] = slack.calls("auth.test")
    assert call.token == BOT_TOKEN
    assert call.headers["Authorization"] == f"Bearer {BOT_TOKEN}"


async def test_post_message_returns_increasing_ts_and_is_recorded(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    first = await client.chat_postMessage(channel="C1", text="one")
    second = await client.chat_postMessage(
        channel="C1",
        text="two",
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "*two*"}}],
    )

    assert float(second["ts"]) > float(first["ts"])
    assert second["channel"] == "C1"
    assert second["message"]["blocks"][0]["type"] == "section"
    assert [c.params["text"] for c in slack.calls("chat.postMessage")] == ["one", "two"]
    assert [m["text"] for m in slack.posted_messages("C1")] == ["one", "two"]


async def test_posting_to_a_user_goes_to_their_dm(slack: FakeSlack, client: AsyncWebClient) -> None:
    opened = await client.conversations_open(users="U42")
    posted = await client.chat_postMessage(channel="U42", text="hi")

    assert posted["channel"] == opened["channel"]["id"]
    assert posted["channel"].startswith("D")


async def test_ephemeral_update_and_views(slack: FakeSlack, client: AsyncWebClient) -> None:
    ephemeral = await client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    posted = await client.chat_postMessage(channel="C1", text="draft")
    updated = await client.chat_update(channel="C1", ts=posted["ts"], text="final")
    modal = {
        "type": "modal",
        "callback_id": "grade",
        "title": {"type": "plain_text", "text": "Grade"},
        "blocks": [],
    }
    opened = await client.views_open(trigger_id=signing.new_trigger_id(), view=modal)
    refreshed = await client.views_update(view_id=opened["view"]["id"], view=modal)
    home = await client.views_publish(user_id="U1", view={"type": "home", "blocks": []})

    assert ephemeral["message_ts"]
    assert updated["ts"] == posted["ts"]
    assert slack.posted_messages("C1")[0]["text"] == "final"
    assert opened["view"]["id"] == refreshed["view"]["id"]
    assert opened["view"]["callback_id"] == "grade"
    assert home["view"]["type"] == "home"


async def test_users_info_defaults_and_configured_locale(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.add_user("U_ZH", real_name="李雷", locale="zh-CN", tz="Asia/Shanghai")

    configured = await client.users_info(user="U_ZH", include_locale=True)
    default = await client.users_info(user="U_OTHER", include_locale=True)
    without_locale = await client.users_info(user="U_ZH")

    assert configured["user"]["locale"] == "zh-CN"
    assert configured["user"]["tz"] == "Asia/Shanghai"
    assert configured["user"]["tz_offset"] == 8 * 3600
    assert configured["user"]["real_name"] == "李雷"
    assert (default["user"]["locale"], default["user"]["tz"]) == ("en-US", "UTC")
    assert "locale" not in without_locale["user"]


async def test_unknown_method_and_missing_token(slack: FakeSlack, client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as unknown:
        await client.api_call("no.such.method")
    with pytest.raises(SlackApiError) as anonymous:
        await AsyncWebClient(base_url=slack.api_url).chat_postMessage(channel="C1", text="x")

    assert unknown.value.response["error"] == "unknown_method"
    assert anonymous.value.response["error"] == "not_authed"


async def test_planned_slack_error(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.fail_next("chat.postMessage", 200, error="channel_not_found")

    with pytest.raises(SlackApiError) as failed:
        await client.chat_postMessage(channel="C1", text="x")
    await client.chat_postMessage(channel="C1", text="x")

    assert failed.value.response["error"] == "channel_not_found"


async def test_rate_limit_is_retried_by_the_sdk_handler(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    # Retry-After 0 keeps the test fast; the handler still sleeps a random jitter below 1s.
    slack.fail_next("chat.postMessage", status=429, retry_after=0)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))

    response = await client.chat_postMessage(channel="C1", text="eventually")

    assert response["ok"]
    assert len(slack.calls("chat.postMessage")) == 2


async def test_rate_limit_without_handler_surfaces_retry_after(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=3)

    with pytest.raises(SlackApiError) as limited:
        await client.chat_postMessage(channel="C1", text="x")

    assert limited.value.response.status_code == 429
    assert limited.value.response["error"] == "ratelimited"
    assert limited.value.response.headers["Retry-After"] == "3"


async def test_server_error_is_retried(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.fail_next("chat.postMessage", status=500)
    client.retry_handlers.append(
        AsyncServerErrorRetryHandler(interval_calculator=FixedValueRetryIntervalCalculator(0.0))
    )

    response = await client.chat_postMessage(channel="C1", text="after a 500")

    assert response["ok"]
    assert len(slack.calls("chat.postMessage")) == 2


async def test_files_upload_v2_end_to_end(slack: FakeSlack, client: AsyncWebClient) -> None:
    content = b"account,tier\nAcme,A\n"

    response = await client.files_upload_v2(
        channel="C1", filename="tiers.csv", content=content, title="Tiers", initial_comment="Here"
    )

    file_id = response["file"]["id"]
    assert slack.uploads[file_id] == content
    assert response["file"]["title"] == "Tiers"
    assert slack.methods() == [
        "files.getUploadURLExternal",
        "file_upload",
        "files.completeUploadExternal",
    ]
    assert slack.calls("files.completeUploadExternal")[0].params["channel_id"] == "C1"


async def test_wait_for_times_out_with_what_was_seen(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    await client.auth_test()

    with pytest.raises(TimeoutError, match=r"auth\.test"):
        await slack.wait_for("chat.postMessage", timeout=0.05)


async def test_clear_forgets_calls(slack: FakeSlack, client: AsyncWebClient) -> None:
    await client.auth_test()
    slack.clear()

    assert slack.calls() == []


# -- signing


def test_signed_requests_pass_the_sdk_verifier() -> None:
    fields = signing.slash_command("/tier", "Acme", response_url="http://127.0.0.1:9/respond/1")
    request = signing.signed_form(SECRET, fields, timestamp=1_700_000_000)
    verifier = SignatureVerifier(SECRET, clock=_FixedClock(1_700_000_000 + 10))
    stale = SignatureVerifier(SECRET, clock=_FixedClock(1_700_000_000 + 301))

    assert verifier.is_valid_request(request.body, request.headers)
    assert not stale.is_valid_request(request.body, request.headers)
    assert not SignatureVerifier("other-secret", clock=_FixedClock(1_700_000_000)).is_valid_request(
        request.body, request.headers
    )


def test_signed_event_carries_retry_headers() -> None:
    request = signing.signed_event(
        SECRET, signing.event_callback({"type": "app_mention", "text": "hi"}), retry_num=1
    )

    assert request.headers["X-Slack-Retry-Num"] == "1"
    assert request.headers["X-Slack-Retry-Reason"] == "http_timeout"
    assert abs(request.timestamp - time.time()) < 5


# -- bolt over HTTP


@pytest.fixture
async def bolt_http(client: AsyncWebClient) -> AsyncIterator[tuple[AsyncApp, str]]:
    app = _tier_app(client)
    async with TestServer(app.web_app()) as server:
        yield app, str(server.make_url("/slack/events"))


async def _post(url: str, request: signing.SignedRequest) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=request.body, headers=request.headers) as response,
    ):
        return response.status


async def test_bolt_http_slash_command_replies_through_the_fake(
    slack: FakeSlack, bolt_http: tuple[AsyncApp, str]
) -> None:
    _, url = bolt_http
    fields = signing.slash_command("/tier", "Acme", response_url=slack.response_url())

    status = await _post(url, signing.signed_form(SECRET, fields))

    assert status == 200
    [post] = await slack.wait_for("chat.postMessage")
    [reply] = await slack.wait_for("response_url")
    assert post.params["channel"] == signing.CHANNEL_ID
    assert post.params["text"] == "Grading Acme"
    # Bolt's per-request client adds the workspace's team_id to every call.
    assert post.params["team_id"] == slack.team_id
    assert reply.params["text"] == "Done"
    # Bolt authorizes with auth.test once, before the first listener runs.
    assert slack.methods()[0] == "auth.test"


async def test_bolt_http_rejects_bad_or_stale_signatures(
    slack: FakeSlack, bolt_http: tuple[AsyncApp, str]
) -> None:
    _, url = bolt_http
    fields = signing.slash_command("/tier", "Acme", response_url=slack.response_url())

    wrong_secret = await _post(url, signing.signed_form("not-the-secret", fields))
    stale = await _post(url, signing.signed_form(SECRET, fields, timestamp=int(time.time()) - 600))

    assert (wrong_secret, stale) == (401, 401)
    assert slack.calls() == []


async def test_bolt_http_block_action_view_submission_and_event(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    app = AsyncApp(client=client, signing_secret=SECRET)

    @app.action("regrade")
    async def regrade(ack: AsyncAck, respond: AsyncRespond, action: dict[str, Any]) -> None:
        await ack()
        await respond(f"Regrading {action['value']}", replace_original=True)

    @app.view("grade")
    async def grade(ack: AsyncAck, view: dict[str, Any]) -> None:
        name = view["state"]["values"]["account"]["name"]["value"]
        await ack(response_action="errors", errors={"account": f"{name}?"})

    @app.event("app_mention")
    async def mention(say: AsyncSay) -> None:
        await say("hello")

    action = signing.block_actions("regrade", value="Acme", response_url=slack.response_url())
    submission = signing.view_submission(
        "grade", {"account": {"name": {"type": "plain_text_input", "value": "Acme"}}}
    )
    event = signing.event_callback(
        {
            "type": "app_mention",
            "text": "<@U0TIERBOT> hi",
            "channel": "C1",
            "user": "U1",
            "ts": "1.0",
        }
    )

    async with TestServer(app.web_app()) as server, aiohttp.ClientSession() as session:
        url = str(server.make_url("/slack/events"))
        action_status = await _post(url, signing.signed_interaction(SECRET, action))
        request = signing.signed_interaction(SECRET, submission)
        async with session.post(url, data=request.body, headers=request.headers) as response:
            view_ack = await response.json()
        event_status = await _post(url, signing.signed_event(SECRET, event))
        [respond] = await slack.wait_for("response_url")
        [say] = await slack.wait_for("chat.postMessage")

    assert (action_status, event_status) == (200, 200)
    assert respond.params["text"] == "Regrading Acme"
    assert respond.params["replace_original"] is True
    assert view_ack == {"response_action": "errors", "errors": {"account": "Acme?"}}
    assert say.params["channel"] == "C1"


# -- Socket Mode


async def test_socket_mode_round_trip(slack: FakeSlack, client: AsyncWebClient) -> None:
    async with _socket_mode(_tier_app(client)):
        fields = signing.slash_command("/tier", "Acme", response_url=slack.response_url())
        envelope_id = await slack.socket_send("slash_commands", fields)

        ack = await slack.wait_for_ack(envelope_id)
        [post] = await slack.wait_for("chat.postMessage")
        [reply] = await slack.wait_for("response_url")

    assert ack == {"envelope_id": envelope_id}
    assert post.params["text"] == "Grading Acme"
    assert reply.params["text"] == "Done"
    [connect] = slack.calls("apps.connections.open")
    assert connect.token == APP_TOKEN


async def test_socket_mode_ack_with_payload_and_event_retry_headers(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    app = AsyncApp(client=client, signing_secret=SECRET)

    @app.command("/echo")
    async def echo(ack: AsyncAck, command: dict[str, Any]) -> None:
        await ack(f"echo {command['text']}")

    @app.event("app_mention")
    async def mention(request: AsyncBoltRequest, say: AsyncSay) -> None:
        # Bolt copies the envelope's retry fields into the HTTP-mode retry headers.
        headers = request.headers
        await say(f"retry {headers['x-slack-retry-num'][0]} {headers['x-slack-retry-reason'][0]}")

    async with _socket_mode(app):
        fields = signing.slash_command("/echo", "hi", response_url=slack.response_url())
        command_ack = await slack.wait_for_ack(await slack.socket_send("slash_commands", fields))
        event = signing.event_callback(
            {"type": "app_mention", "text": "hi", "channel": "C1", "user": "U1", "ts": "1.0"}
        )
        event_id = await slack.socket_send(
            "events_api", event, retry_attempt=2, retry_reason="timeout"
        )
        event_ack = await slack.wait_for_ack(event_id)
        [said] = await slack.wait_for("chat.postMessage")

    assert command_ack["payload"] == {"text": "echo hi"}
    assert event_ack == {"envelope_id": event_id}
    assert said.params["text"] == "retry 2 timeout"


async def test_socket_mode_reconnects_after_disconnect(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    async with _socket_mode(_tier_app(client)):
        await slack.socket_disconnect()
        # The old connection is draining, so this waits for the replacement.
        await slack.wait_for_socket(1)
        fields = signing.slash_command("/tier", "again", response_url=slack.response_url())
        ack = await slack.wait_for_ack(await slack.socket_send("slash_commands", fields))

    assert ack["envelope_id"]
    assert len(slack.calls("apps.connections.open")) == 2
    assert len(slack.calls("socket_connect")) == 2
