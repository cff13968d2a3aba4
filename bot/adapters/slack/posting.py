"""Answering a request: each Reply goes back where the request came from.

* With a ``response_url`` (slash commands, buttons in messages) the reply is posted there:
  it works in every channel, even ones the bot has not joined. In a channel it is
  ephemeral unless the Reply says otherwise; in a DM it is a normal message.
* An app mention is answered with chat.postEphemeral to the asker (or chat.postMessage
  for a Reply meant for everyone), in the thread it came from.
* A DM, the App Home and a form are answered in the bot's DM with the person.
* A button that moves a flow on (a qualification question) replaces the message it
  was pressed in, so the conversation reads as one evolving card.

If answering in a channel fails (the bot was removed, the response_url expired), the
answer goes to the person's DM instead: losing it silently would be worse.
"""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.adapters.slack.client import retry_handlers
from bot.adapters.slack.errors import FAILURES, SlackDeliveryError
from bot.adapters.slack.sender import SlackSender, render
from bot.adapters.slack.translate import Origin
from bot.conversation.messages import ChatKind, Reply, ReplyKind

log = logging.getLogger(__name__)

_POST_FAILURES: tuple[type[Exception], ...] = (*FAILURES, SlackDeliveryError)


def replaces_original(origin: Origin, reply: Reply) -> bool:
    """A pressed button whose answer continues a flow updates the message in place."""
    return origin.from_button and (reply.kind is ReplyKind.QUESTION or "flow" in reply.extra)


def visible_to_all(origin: Origin, reply: Reply) -> bool:
    return origin.chat_kind is ChatKind.PRIVATE or not reply.ephemeral


class ReplyPoster:
    def __init__(self, client: AsyncWebClient, session: aiohttp.ClientSession | None) -> None:
        self.client = client
        self.session = session
        self.sender = SlackSender(client)

    async def post(self, origin: Origin, reply: Reply) -> None:
        try:
            await self._post(origin, reply)
        except _POST_FAILURES as error:
            if origin.channel_id is None or origin.chat_kind is ChatKind.PRIVATE:
                log.warning("could not answer %s in their DM: %s", origin.user_id, error)
                return
            log.info("answering %s in their DM: %s", origin.user_id, error)
            await self.post(Origin(origin.user_id, ChatKind.PRIVATE), reply)

    async def _post(self, origin: Origin, reply: Reply) -> None:
        message = render(reply).as_kwargs()
        if origin.response_url:
            await self._respond(origin, reply, message)
        elif origin.channel_id is None:
            await self.client.chat_postMessage(channel=origin.user_id, **message)
        elif visible_to_all(origin, reply):
            await self.client.chat_postMessage(
                channel=origin.channel_id, thread_ts=origin.thread_ts, **message
            )
        else:
            await self.client.chat_postEphemeral(
                channel=origin.channel_id, user=origin.user_id, thread_ts=origin.thread_ts,
                **message,
            )
        if reply.image is not None:
            await self._upload(origin, reply)

    async def _respond(self, origin: Origin, reply: Reply, message: dict[str, Any]) -> None:
        # bolt's respond() opens a new HTTP session per call and never retries; this one
        # reuses the adapter's connections and retries a 429 or 5xx like the Web API client.
        assert origin.response_url is not None
        webhook = AsyncWebhookClient(
            origin.response_url, session=self.session, retry_handlers=retry_handlers()
        )
        response = await webhook.send_dict({
            **message,
            "response_type": "in_channel" if visible_to_all(origin, reply) else "ephemeral",
            "replace_original": replaces_original(origin, reply),
        })
        if response.status_code != 200:
            raise SlackDeliveryError(f"response_url_{response.status_code}",
                                     retryable=response.status_code >= 500)

    async def _upload(self, origin: Origin, reply: Reply) -> None:
        assert reply.image is not None
        shared = origin.channel_id is not None and visible_to_all(origin, reply)
        recipient = f"slack-channel:{origin.channel_id}" if shared else f"slack:{origin.user_id}"
        await self.sender.upload_png(recipient, reply.image.png, reply.image.alt_text,
                                     filename=reply.image.filename)
