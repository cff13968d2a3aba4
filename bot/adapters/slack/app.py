"""The bolt AsyncApp: one listener per kind of Slack request, all through the conversation core.

:func:`slack_adapter` builds everything for one run (HTTP session, Web API client,
handlers, bolt app) and, on the way out, lets answers still being written finish.
Receiving (Socket Mode or HTTP) is the runner's job; tests use the same pieces.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.client import web_client
from bot.adapters.slack.handlers import SlackHandlers
from bot.adapters.slack.modals import CALLBACK_ID
from bot.adapters.slack.ports import ConversationPort
from bot.conversation.texts import TextsCache
from bot.rendering.slack_blocks import ACTION_ID_PATTERN
from bot.settings import Settings

log = logging.getLogger(__name__)

COMMAND = "/tier"
DRAIN_SECONDS = 10.0


def build_bolt_app(handlers: SlackHandlers, *, signing_secret: str | None) -> AsyncApp:
    """Register the listeners. Without a signing secret no HTTP request verifies (401);
    Socket Mode needs none, its connection is authenticated by the app token."""
    bolt = AsyncApp(
        name="tierbot",
        client=handlers.client,
        # Passed explicitly: bolt would otherwise read SLACK_SIGNING_SECRET on its own.
        signing_secret=signing_secret or "",
        logger=logging.getLogger("slack_bolt"),
    )
    bolt.command(COMMAND)(handlers.command)
    bolt.event("app_mention")(handlers.mention)
    # Every message event is acknowledged here, so Slack never retries one we ignore.
    bolt.event("message")(handlers.message)
    bolt.event("app_home_opened")(handlers.home_opened)
    bolt.action(re.compile(ACTION_ID_PATTERN))(handlers.action)
    bolt.view(CALLBACK_ID)(handlers.view_submission)
    return bolt


@dataclass(frozen=True, slots=True)
class SlackAdapter:
    bolt: AsyncApp
    handlers: SlackHandlers

    @property
    def client(self) -> AsyncWebClient:
        return self.handlers.client


@asynccontextmanager
async def slack_adapter(
    conversation: ConversationPort, texts: TextsCache, settings: Settings
) -> AsyncIterator[SlackAdapter]:
    async with aiohttp.ClientSession() as session:
        handlers = SlackHandlers(conversation, texts, web_client(settings, session), session)
        try:
            bolt = build_bolt_app(handlers, signing_secret=settings.slack_signing_secret)
            yield SlackAdapter(bolt, handlers)
        finally:
            if not await handlers.inflight.wait_idle(DRAIN_SECONDS):
                log.warning("stopping with %d Slack answer(s) unfinished",
                            handlers.inflight.running)
