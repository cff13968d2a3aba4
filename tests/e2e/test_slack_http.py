"""The Slack adapter over HTTP: real slack-bolt and slack_sdk against FakeSlack on 127.0.0.1.

The conversation core is a small fake here, recording what reached it and answering
with scripted Replies; ``test_slack_stack.py`` runs the same paths over the real core.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import aiohttp
import pytest

from bot.adapters.slack.app import SlackAdapter, slack_adapter
from bot.adapters.slack.modals import CALLBACK_ID, FormContext
from bot.adapters.slack.runner import EVENTS_PATH, serve_http
from bot.conversation.messages import (
    Button,
    ChatKind,
    IncomingMessage,
    Reply,
    ReplyKind,
    Section,
)
from bot.conversation.texts import TextsCache
from bot.i18n import TextCatalog
from bot.model_files import open_model
from bot.settings import Settings
from bot.testing import signing
from bot.testing.fake_slack import FakeSlack
from scoring import CompiledModel, FactValue

SECRET = "test-signing-secret"
USER = signing.USER_ID
CHANNEL = signing.CHANNEL_ID


# -- a fake conversation core


@dataclass(frozen=True)
class FakeAccount:
    id: int
    name: str
    version: int


@dataclass(frozen=True)
class FakeCard:
    account: FakeAccount
    facts: Mapping[str, FactValue]


@dataclass
class FakeFormSource:
    model: CompiledModel
    cards: dict[int, FakeCard] = field(default_factory=dict)

    async def active_model(self) -> CompiledModel:
        return self.model

    async def card(self, account_id: int, *, locale: str = "en") -> FakeCard:
        return self.cards[account_id]


def echo(message: IncomingMessage) -> list[Reply]:
    return [Reply(title=f"echo {message.text}")]


class FakeConversation:
    def __init__(self, model: CompiledModel) -> None:
        self.service = FakeFormSource(model)
        self.messages: list[IncomingMessage] = []
        self.answer: Callable[[IncomingMessage], list[Reply]] = echo

    async def handle(self, message: IncomingMessage) -> list[Reply]:
        self.messages.append(message)
        return self.answer(message)

    @property
    def texts(self) -> list[str]:
        return [m.text for m in self.messages]


# -- the app on loopback


@dataclass
class Running:
    slack: FakeSlack
    conversation: FakeConversation
    adapter: SlackAdapter
    url: str
    session: aiohttp.ClientSession

    async def post(self, request: signing.SignedRequest) -> tuple[int, str]:
        async with self.session.post(self.url, data=request.body, headers=request.headers) as r:
            return r.status, await r.text()

    async def command(self, text: str, **fields: str) -> tuple[int, str]:
        payload = signing.slash_command("/tier", text, response_url=self.slack.response_url(),
                                        **fields)
        return await self.post(signing.signed_form(SECRET, payload))

    async def event(self, event: Mapping[str, Any], **envelope: Any) -> int:
        status, _ = await self.post(signing.signed_event(SECRET, signing.event_callback(
            event, **envelope)))
        return status

    async def interaction(self, payload: Mapping[str, Any]) -> tuple[int, str]:
        return await self.post(signing.signed_interaction(SECRET, payload))

    async def settle(self) -> None:
        """Wait until every answer under way has been written."""
        assert await self.adapter.handlers.inflight.wait_idle(2.0)


@pytest.fixture
async def running() -> AsyncIterator[Running]:
    conversation = FakeConversation(open_model("five_grade"))
    async with FakeSlack() as slack:
        settings = Settings(SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET,
                            SLACK_API_URL=slack.api_url)
        async with (
            slack_adapter(conversation, TextsCache(TextCatalog()), settings) as adapter,
            serve_http(adapter.bolt, "127.0.0.1", 0) as port,
            aiohttp.ClientSession() as session,
        ):
            url = f"http://127.0.0.1:{port}{EVENTS_PATH}"
            yield Running(slack, conversation, adapter, url, session)


def dm(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "message", "channel": "D0DIRECT1", "channel_type": "im", "user": USER,
            "text": text, "ts": f"{time.time():.6f}", **extra}


def header(call_params: Mapping[str, Any]) -> str:
    return str(call_params["blocks"][0]["text"]["text"])


# -- slash command


async def test_slash_command_is_acked_empty_then_answered_ephemerally_via_response_url(
    running: Running,
) -> None:
    running.slack.add_user(USER, real_name="Sam Seller", locale="zh-CN")

    status, body = await running.command("acme")

    assert (status, body) == (200, "")
    [reply] = await running.slack.wait_for("response_url")
    assert reply.params["response_type"] == "ephemeral"
    assert reply.params["replace_original"] is False
    assert header(reply.params) == "echo acme"
    [message] = running.conversation.messages
    assert message.text == "acme"
    assert message.chat_id == CHANNEL
    assert message.chat_kind is ChatKind.GROUP
    assert (message.user_id, message.user_name, message.locale) == (USER, "Sam Seller", "zh-CN")
    assert message.team_id == signing.TEAM_ID
    assert message.delivery_id
    assert not message.is_button


async def test_slash_command_passes_the_whole_command_language(running: Running) -> None:
    for text in ("set acme revenue=1.2M", "qualify", ""):
        await running.command(text)
    await running.slack.wait_for("response_url", 3)

    assert running.conversation.texts == ["set acme revenue=1.2M", "qualify", ""]


async def test_slacks_entities_are_decoded_to_what_was_typed(running: Running) -> None:
    await running.command("tier AT&amp;T")
    await running.event(dm("why Q&amp;A &lt;Labs&gt;"))
    await running.slack.wait_for("response_url")
    await running.slack.wait_for("chat.postMessage")

    assert sorted(running.conversation.texts) == ["tier AT&T", "why Q&A <Labs>"]


async def test_reply_meant_for_everyone_goes_in_channel(running: Running) -> None:
    running.conversation.answer = lambda m: [Reply(title="Weekly digest", ephemeral=False)]

    await running.command("digest")

    [reply] = await running.slack.wait_for("response_url")
    assert reply.params["response_type"] == "in_channel"


async def test_command_in_a_dm_between_two_people_answers_only_the_asker(
    running: Running,
) -> None:
    await running.command("acme", channel_id="D0HUMANS1", channel_name="directmessage")

    [reply] = await running.slack.wait_for("response_url")
    assert reply.params["response_type"] == "ephemeral"
    assert running.conversation.messages[0].chat_kind is ChatKind.GROUP


async def test_command_in_the_bots_own_dm_gets_a_normal_message(running: Running) -> None:
    opened = await running.adapter.client.conversations_open(users=USER)
    bot_dm = opened["channel"]["id"]

    await running.command("acme", channel_id=bot_dm, channel_name="directmessage")

    [reply] = await running.slack.wait_for("response_url")
    assert reply.params["response_type"] == "in_channel"
    assert running.conversation.messages[0].chat_kind is ChatKind.PRIVATE


async def test_each_command_gets_its_own_delivery_id(running: Running) -> None:
    await running.command("acme")
    await running.command("acme")
    await running.slack.wait_for("response_url", 2)

    first, second = running.conversation.messages
    assert first.delivery_id != second.delivery_id


async def test_user_name_and_locale_are_looked_up_once_per_user(running: Running) -> None:
    await running.command("a")
    await running.command("b")
    await running.slack.wait_for("response_url", 2)

    [lookup] = running.slack.calls("users.info")
    assert lookup.params["include_locale"] in (True, "1", "true")
    assert [m.locale for m in running.conversation.messages] == ["en-US", "en-US"]


async def test_locale_is_none_when_users_info_fails(running: Running) -> None:
    running.slack.fail_next("users.info", 200, error="user_not_found")

    await running.command("acme")

    await running.slack.wait_for("response_url")
    [message] = running.conversation.messages
    assert (message.locale, message.user_name) == (None, None)


# -- signatures


async def test_wrong_or_stale_signature_gets_401_and_nothing_runs(running: Running) -> None:
    fields = signing.slash_command("/tier", "set acme revenue=9M",
                                   response_url=running.slack.response_url())
    wrong = await running.post(signing.signed_form("not-the-secret", fields))
    stale = await running.post(
        signing.signed_form(SECRET, fields, timestamp=int(time.time()) - 301))
    event = signing.event_callback(dm("set acme revenue=9M"))
    bad_event = await running.post(signing.signed_event("not-the-secret", event))

    assert (wrong[0], stale[0], bad_event[0]) == (401, 401, 401)
    await running.settle()
    assert running.slack.calls() == []
    assert running.conversation.messages == []


# -- mentions and DMs


async def test_app_mention_drops_the_mention_and_answers_only_the_asker(running: Running) -> None:
    status = await running.event({
        "type": "app_mention", "user": USER, "channel": CHANNEL, "ts": "1700000000.000200",
        "thread_ts": "1700000000.000100", "text": f"<@{signing.BOT_USER_ID}> tier acme",
    })

    assert status == 200
    [posted] = await running.slack.wait_for("chat.postEphemeral")
    assert posted.params["channel"] == CHANNEL
    assert posted.params["user"] == USER
    assert posted.params["thread_ts"] == "1700000000.000100"
    assert header(posted.params) == "echo tier acme"
    [message] = running.conversation.messages
    assert message.chat_kind is ChatKind.GROUP
    assert message.delivery_id
    assert message.delivery_id.startswith("Ev")


async def test_direct_message_gets_a_normal_message(running: Running) -> None:
    await running.event(dm("acme"))

    [posted] = await running.slack.wait_for("chat.postMessage")
    assert posted.params["channel"] == "D0DIRECT1"
    assert "thread_ts" not in posted.params
    [message] = running.conversation.messages
    assert message.chat_kind is ChatKind.PRIVATE


async def test_edits_bot_posts_and_chatter_are_acked_and_ignored(
    running: Running,
) -> None:
    statuses = [
        await running.event(dm("acme", subtype="message_changed")),
        await running.event(dm("acme", bot_id="B0OTHER")),
        await running.event({**dm("acme"), "channel_type": "channel", "channel": CHANNEL}),
        await running.event({"type": "app_mention", "channel": CHANNEL, "bot_id": "B0WORKFLOW",
                             "text": f"<@{signing.BOT_USER_ID}> acme", "ts": "1.0"}),
    ]

    await running.settle()
    assert statuses == [200, 200, 200, 200]
    assert running.conversation.messages == []
    assert running.slack.calls("chat.postMessage") == []


async def test_rate_limited_post_is_retried_after_retry_after(running: Running) -> None:
    running.slack.fail_next("chat.postMessage", status=429, retry_after=0)

    await running.event(dm("acme"))

    first, second = await running.slack.wait_for("chat.postMessage", 2)
    assert first.params["text"] == second.params["text"]
    assert len(running.slack.posted_messages()) == 1


async def test_account_named_like_a_mention_stays_text(running: Running) -> None:
    running.conversation.answer = lambda m: [Reply(
        title="<!channel> · Tier A", sections=(Section(None, ("<!here> <@U0BOSS> *bold*",)),))]

    await running.event(dm("<!channel>"))

    [posted] = await running.slack.wait_for("chat.postMessage")
    sent = json.dumps(posted.params)
    assert "<!channel>" not in posted.params["text"]
    assert "&lt;!channel&gt;" in posted.params["text"]
    assert "<!here>" not in sent
    assert "<@U0BOSS>" not in sent


# -- buttons


async def test_button_sends_its_command_and_answers_as_a_new_message(running: Running) -> None:
    action = signing.block_actions("tierbot_btn_0", value="why #7",
                                   response_url=running.slack.response_url())

    status, _ = await running.interaction(action)

    assert status == 200
    [reply] = await running.slack.wait_for("response_url")
    assert reply.params["replace_original"] is False
    [message] = running.conversation.messages
    assert (message.text, message.is_button) == ("why #7", True)
    assert message.delivery_id == action["trigger_id"]


async def test_button_that_moves_a_flow_on_replaces_the_question(running: Running) -> None:
    running.conversation.answer = lambda m: [Reply(
        title="Budget approved?", kind=ReplyKind.QUESTION,
        buttons=(Button("yes", "qualify answer budget=yes"),), extra={"flow": "qualify"})]

    await running.interaction(signing.block_actions(
        "tierbot_btn_1", value="qualify answer size=large",
        response_url=running.slack.response_url()))

    [reply] = await running.slack.wait_for("response_url")
    assert reply.params["replace_original"] is True


async def test_other_action_ids_are_not_ours(running: Running) -> None:
    status, _ = await running.interaction(signing.block_actions(
        "someone_else", value="tier acme", response_url=running.slack.response_url()))

    assert status == 404
    assert running.conversation.messages == []


async def test_button_in_app_home_is_answered_in_the_dm(running: Running) -> None:
    home = {"id": "V0HOME", "type": "home", "blocks": []}

    await running.interaction(signing.block_actions("tierbot_btn_0", value="tier #3", view=home))

    [posted] = await running.slack.wait_for("chat.postMessage")
    [opened] = running.slack.calls("conversations.open")
    assert posted.params["channel"] == USER
    assert running.conversation.messages[0].chat_id.startswith("D")
    assert opened.params["users"] == USER


# -- App Home


async def test_home_tab_publishes_mine_movers_and_review(running: Running) -> None:
    await running.event({"type": "app_home_opened", "user": USER, "channel": "D0HOME",
                         "tab": "home", "event_ts": "1.0"})

    [published] = await running.slack.wait_for("views.publish")
    assert running.conversation.texts == ["mine", "movers 7d", "review"]
    view = published.params["view"]
    assert published.params["user_id"] == USER
    assert view["type"] == "home"
    headers = [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]
    assert headers == ["echo mine", "echo movers 7d", "echo review"]
    assert [m.delivery_id for m in running.conversation.messages] == [None, None, None]


async def test_home_tab_shows_a_refusal_once(running: Running) -> None:
    running.conversation.answer = lambda m: [Reply(title="I don't know you yet",
                                                   kind=ReplyKind.ERROR)]

    await running.event({"type": "app_home_opened", "user": USER, "channel": "D0HOME",
                         "tab": "home", "event_ts": "1.0"})

    [published] = await running.slack.wait_for("views.publish")
    assert [b["type"] for b in published.params["view"]["blocks"]] == ["header"]


async def test_messages_tab_publishes_nothing(running: Running) -> None:
    await running.event({"type": "app_home_opened", "user": USER, "channel": "D0HOME",
                         "tab": "messages", "event_ts": "1.0"})

    await running.settle()
    assert running.slack.calls("views.publish") == []


# -- the update form


def edit_reply(account_id: int) -> Reply:
    return Reply(title="Facts of Acme Robotics International", sections=(Section(None, ("x",)),),
                 extra={"form": "update_facts", "account_id": str(account_id), "version": "4"})


def with_form(running: Running, facts: Mapping[str, FactValue]) -> None:
    running.conversation.service.cards[7] = FakeCard(FakeAccount(7, "Acme", 4), facts)
    running.conversation.answer = lambda m: [edit_reply(7)] if m.text.startswith("edit") else []


async def open_form(running: Running) -> dict[str, Any]:
    response_url = running.slack.response_url()
    await running.interaction(signing.block_actions("tierbot_btn_3", value="edit #7",
                                                    response_url=response_url))
    [opened] = await running.slack.wait_for("views.open")
    view: dict[str, Any] = opened.params["view"]
    return view


async def test_edit_button_opens_a_form_built_from_the_model(running: Running) -> None:
    with_form(running, {"annual_order_value": 1_200_000.0, "overdue_payments": False,
                        "growth_outlook": "strong", "referrals": 2.0})

    view = await open_form(running)

    [opened] = running.slack.calls("views.open")
    assert opened.params["trigger_id"]
    assert view["callback_id"] == CALLBACK_ID
    assert len(view["title"]["text"]) <= 24
    blocks = {b["block_id"]: b["element"] for b in view["blocks"]}
    assert set(blocks) == set(running.conversation.service.model.fields)
    assert blocks["annual_order_value"]["type"] == "plain_text_input"
    assert blocks["annual_order_value"]["initial_value"] == "1200000"
    assert blocks["overdue_payments"]["type"] == "static_select"
    assert [o["value"] for o in blocks["overdue_payments"]["options"]] == ["yes", "no"]
    assert blocks["overdue_payments"]["initial_option"]["value"] == "no"
    assert blocks["growth_outlook"]["initial_option"]["value"] == "strong"
    context = FormContext.decode(view["private_metadata"])
    assert (context.account_id, context.version, context.chat_id) == (7, 4, CHANNEL)
    assert running.slack.calls("response_url") == []


async def test_form_submission_sends_only_changed_fields_as_set(running: Running) -> None:
    with_form(running, {"annual_order_value": 1_200_000.0, "growth_outlook": "strong"})
    view = await open_form(running)
    running.conversation.answer = lambda m: [Reply(title="Updated Acme", kind=ReplyKind.CARD)]
    values = {
        "annual_order_value": {"value": {"type": "plain_text_input", "value": "2.5M"}},
        "growth_outlook": {"value": {"type": "static_select",
                                   "selected_option": {"value": "strong"}}},
        "overdue_payments": {"value": {"type": "static_select",
                                       "selected_option": {"value": "yes"}}},
    }

    status, body = await running.interaction(signing.view_submission(
        CALLBACK_ID, values, private_metadata=view["private_metadata"]))

    assert (status, body) == (200, "")
    [answer] = await running.slack.wait_for("response_url")
    assert header(answer.params) == "Updated Acme"
    submitted = running.conversation.messages[-1]
    assert submitted.text == "set #7 annual_order_value=2.5M overdue_payments=yes"
    assert submitted.chat_id == CHANNEL


async def test_form_problems_are_shown_on_their_fields(running: Running) -> None:
    with_form(running, {"annual_order_value": 1_200_000.0})
    view = await open_form(running)
    running.conversation.answer = lambda m: [Reply(
        title="That was not saved:", kind=ReplyKind.ERROR,
        sections=(Section(None, ("annual_order_value: -5 is below the minimum 0",)),))]
    values = {"annual_order_value": {"value": {"type": "plain_text_input", "value": "-5"}}}

    status, body = await running.interaction(signing.view_submission(
        CALLBACK_ID, values, private_metadata=view["private_metadata"]))

    assert status == 200
    assert json.loads(body) == {"response_action": "errors",
                                "errors": {"annual_order_value": "-5 is below the minimum 0"}}
    await running.settle()
    assert running.slack.calls("response_url") == []


async def test_unchanged_form_closes_without_running_anything(running: Running) -> None:
    with_form(running, {"annual_order_value": 1_200_000.0})
    view = await open_form(running)
    values = {"annual_order_value": {"value": {"type": "plain_text_input", "value": "1200000"}}}

    status, body = await running.interaction(signing.view_submission(
        CALLBACK_ID, values, private_metadata=view["private_metadata"]))

    assert (status, body) == (200, "")
    assert running.conversation.texts == ["edit #7"]


async def test_cleared_date_is_sent_as_empty_value(running: Running) -> None:
    running.conversation.service.model = open_model("default")
    with_form(running, {"last_order_date": date(2026, 1, 31)})
    view = await open_form(running)
    element = next(b["element"] for b in view["blocks"] if b["block_id"] == "last_order_date")
    values = {"last_order_date": {"value": {"type": "datepicker", "selected_date": None}}}

    await running.interaction(signing.view_submission(
        CALLBACK_ID, values, private_metadata=view["private_metadata"]))

    assert element == {"type": "datepicker", "action_id": "value", "initial_date": "2026-01-31"}
    assert running.conversation.texts[-1] == "set #7 last_order_date="


async def test_typed_edit_without_a_trigger_answers_with_the_field_list(running: Running) -> None:
    with_form(running, {})

    await running.event(dm("edit acme"))

    [posted] = await running.slack.wait_for("chat.postMessage")
    assert header(posted.params) == "Facts of Acme Robotics International"
    assert running.slack.calls("views.open") == []
