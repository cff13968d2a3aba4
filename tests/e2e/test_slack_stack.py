"""Whole conversations on Slack: signed HTTP requests -> bolt -> the real core and service on
SQLite -> Block Kit that reaches FakeSlack on 127.0.0.1."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.adapters.slack.app import SlackAdapter, slack_adapter
from bot.adapters.slack.modals import CALLBACK_ID
from bot.adapters.slack.runner import EVENTS_PATH, serve_http
from bot.app import App, running_app
from bot.service.actor import Actor
from bot.settings import Settings
from bot.store.enums import Role
from bot.testing import signing
from bot.testing.databases import sqlite_url
from bot.testing.fake_slack import FakeSlack
from bot.testing.recording_server import RecordedCall

SECRET = "stack-signing-secret"
ANN = signing.USER_ID


@dataclass
class Stack:
    app: App
    slack: FakeSlack
    adapter: SlackAdapter
    url: str
    session: aiohttp.ClientSession
    acme: int

    async def post(self, request: signing.SignedRequest) -> tuple[int, str]:
        async with self.session.post(self.url, data=request.body, headers=request.headers) as r:
            return r.status, await r.text()

    def tier(self, text: str, user_id: str = ANN) -> signing.SignedRequest:
        fields = signing.slash_command("/tier", text, response_url=self.slack.response_url(),
                                       user_id=user_id)
        return signing.signed_form(SECRET, fields)

    async def facts(self) -> Mapping[str, Any]:
        return (await self.app.service.card(self.acme)).facts

    async def settle(self) -> None:
        assert await self.adapter.handlers.inflight.wait_idle(2.0)


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    async with FakeSlack() as slack:
        settings = Settings(TIERBOT_DATABASE_URL=sqlite_url(tmp_path),
                            SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET,
                            SLACK_API_URL=slack.api_url)
        async with running_app(settings) as app:
            ann = await app.service.add_person(Actor.cli(), "Ann", Role.MANAGER, slack=ANN)
            acme = await app.service.create_account(
                Actor.cli(), "Acme Corp", owner_id=ann.id,
                facts={"cumulative_revenue": 1_200_000, "industry": "finance"})
            async with (
                slack_adapter(app.conversation, app.texts, settings) as adapter,
                serve_http(adapter.bolt, "127.0.0.1", 0) as port,
                aiohttp.ClientSession() as session,
            ):
                url = f"http://127.0.0.1:{port}{EVENTS_PATH}"
                yield Stack(app, slack, adapter, url, session, acme.account.id)


def header(call: RecordedCall) -> str:
    return str(call.params["blocks"][0]["text"]["text"])


def button_values(call: RecordedCall) -> list[str]:
    return [e["value"] for b in call.params["blocks"] if b["type"] == "actions"
            for e in b["elements"]]


def mrkdwn_texts(node: Any) -> list[str]:
    """Every text Slack parses for mentions and links (mrkdwn objects) in a block tree."""
    if isinstance(node, list):
        return [text for item in node for text in mrkdwn_texts(item)]
    if not isinstance(node, dict):
        return []
    own = [str(node["text"])] if node.get("type") == "mrkdwn" else []
    return own + [text for value in node.values() for text in mrkdwn_texts(value)]


def dm_event(text: str, event_id: str) -> dict[str, Any]:
    return signing.event_callback(
        {"type": "message", "channel": "D0ANN0001", "channel_type": "im", "user": ANN,
         "text": text, "ts": f"{time.time():.6f}"},
        event_id=event_id,
    )


async def test_tier_command_answers_with_the_card(stack: Stack) -> None:
    status, _ = await stack.post(stack.tier("acme"))

    [reply] = await stack.slack.wait_for("response_url")
    assert status == 200
    assert header(reply).startswith("Acme Corp · Tier ")
    assert f"why #{stack.acme}" in button_values(reply)
    assert reply.params["response_type"] == "ephemeral"


async def test_set_command_updates_the_facts(stack: Stack) -> None:
    await stack.post(stack.tier("set acme cumulative_revenue=2M"))

    [reply] = await stack.slack.wait_for("response_url")
    assert header(reply) == "Updated Acme Corp"
    assert (await stack.facts())["cumulative_revenue"] == 2_000_000


async def test_wrong_signature_gets_401_and_changes_nothing(stack: Stack) -> None:
    fields = signing.slash_command("/tier", "set acme cumulative_revenue=9M",
                                   response_url=stack.slack.response_url())

    status, _ = await stack.post(signing.signed_form("forged-secret", fields))

    await stack.settle()
    assert status == 401
    assert stack.slack.calls() == []
    assert (await stack.facts())["cumulative_revenue"] == 1_200_000


async def test_retried_event_applies_the_update_once(stack: Stack) -> None:
    before = (await stack.app.service.card(stack.acme)).account.version
    event = dm_event("set acme cumulative_revenue=3M", "Ev0RETRY01")

    first = await stack.post(signing.signed_event(SECRET, event))
    retry = await stack.post(signing.signed_event(SECRET, event, retry_num=1))

    await stack.settle()
    assert (first[0], retry[0]) == (200, 200)
    [reply] = stack.slack.calls("chat.postMessage")
    assert header(reply) == "Updated Acme Corp"
    card = await stack.app.service.card(stack.acme)
    assert card.account.version == before + 1
    assert card.facts["cumulative_revenue"] == 3_000_000


async def test_account_named_like_a_mention_is_escaped(stack: Stack) -> None:
    card = await stack.app.service.create_account(Actor.cli(), "<!channel> Partners",
                                                  facts={"industry": "retail"})

    await stack.post(signing.signed_event(SECRET, dm_event(f"tier #{card.account.id}", "Ev0ESC")))

    [posted] = await stack.slack.wait_for("chat.postMessage")
    parsed = [posted.params["text"], *mrkdwn_texts(posted.params["blocks"])]
    assert not [text for text in parsed if "<!channel>" in text]
    assert "&lt;!channel&gt; Partners" in posted.params["text"]
    # plain_text (the header) is never parsed by Slack, so it shows the name as typed.
    assert header(posted) == "<!channel> Partners · Tier C"


async def test_unknown_person_is_told_their_slack_id(stack: Stack) -> None:
    await stack.post(stack.tier("acme", user_id="U0STRANGER"))

    [reply] = await stack.slack.wait_for("response_url")
    assert "U0STRANGER" in header(reply)


async def test_qualify_buttons_move_the_question_in_place(stack: Stack) -> None:
    await stack.post(stack.tier("qualify"))
    [question] = await stack.slack.wait_for("response_url")
    answer = button_values(question)[0]

    action = signing.block_actions("tierbot_btn_0", value=answer,
                                   response_url=stack.slack.response_url())
    await stack.post(signing.signed_interaction(SECRET, action))

    _, after = await stack.slack.wait_for("response_url", 2)
    assert question.params["replace_original"] is False
    assert after.params["replace_original"] is True
    assert header(after) != header(question)


async def test_update_form_round_trip(stack: Stack) -> None:
    action = signing.block_actions("tierbot_btn_3", value=f"edit #{stack.acme}",
                                   response_url=stack.slack.response_url())
    await stack.post(signing.signed_interaction(SECRET, action))
    [opened] = await stack.slack.wait_for("views.open")
    view = opened.params["view"]
    blocks = {b["block_id"]: b["element"] for b in view["blocks"]}
    assert blocks["cumulative_revenue"]["initial_value"] == "1200000"
    assert blocks["industry"]["initial_option"]["value"] == "finance"

    invalid = {"profit_margin": {"value": {"type": "plain_text_input", "value": "500"}}}
    _, rejected = await stack.post(signing.signed_interaction(SECRET, signing.view_submission(
        CALLBACK_ID, invalid, private_metadata=view["private_metadata"])))
    valid = {"cumulative_revenue": {"value": {"type": "plain_text_input", "value": "4M"}},
             "industry": {"value": {"type": "static_select",
                                    "selected_option": {"value": "finance"}}}}
    _, accepted = await stack.post(signing.signed_interaction(SECRET, signing.view_submission(
        CALLBACK_ID, valid, private_metadata=view["private_metadata"])))

    errors = json.loads(rejected)
    assert errors["response_action"] == "errors"
    assert list(errors["errors"]) == ["profit_margin"]
    assert "100" in errors["errors"]["profit_margin"]
    assert accepted == ""
    [reply] = await stack.slack.wait_for("response_url")
    assert header(reply) == "Updated Acme Corp"
    facts = await stack.facts()
    assert (facts["cumulative_revenue"], facts["industry"]) == (4_000_000, "finance")
    assert "profit_margin" not in facts


async def test_home_tab_lists_my_accounts(stack: Stack) -> None:
    event = signing.event_callback({"type": "app_home_opened", "user": ANN,
                                    "channel": "D0ANN0001", "tab": "home", "event_ts": "1.0"})

    await stack.post(signing.signed_event(SECRET, event))

    [published] = await stack.slack.wait_for("views.publish")
    assert published.params["user_id"] == ANN
    assert "Acme Corp" in json.dumps(published.params["view"]["blocks"], ensure_ascii=False)
