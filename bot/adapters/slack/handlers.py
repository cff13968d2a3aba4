"""What happens for each kind of Slack request: ack, translate, ask the core, answer.

Every listener acknowledges first (Slack wants an answer within 3 seconds), then turns
the payload into an IncomingMessage, hands it to the conversation core and posts the
Replies. The one exception is a form submission, whose acknowledgement carries the
result (errors shown on the form's fields), so it is acknowledged after the core answered.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import modals, translate
from bot.adapters.slack.errors import FAILURES
from bot.adapters.slack.home import HOME_COMMANDS, home_view
from bot.adapters.slack.inflight import InFlight
from bot.adapters.slack.ports import ConversationPort
from bot.adapters.slack.posting import ReplyPoster
from bot.adapters.slack.translate import Origin, Payload
from bot.adapters.slack.users import SlackUser, UserDirectory
from bot.conversation.messages import ChatKind, IncomingMessage, Reply, ReplyKind
from bot.conversation.texts import TextsCache

log = logging.getLogger(__name__)

Ack = Callable[..., Awaitable[Any]]
FORM = "update_facts"


class SlackHandlers:
    def __init__(
        self,
        conversation: ConversationPort,
        texts: TextsCache,
        client: AsyncWebClient,
        session: aiohttp.ClientSession | None = None,
        users: UserDirectory | None = None,
    ) -> None:
        self.conversation = conversation
        self.texts = texts
        self.client = client
        self.poster = ReplyPoster(client, session)
        self.users = users or UserDirectory(client)
        self.inflight = InFlight()

    # -- listeners (bolt passes arguments by name)

    async def command(self, ack: Ack, body: Payload) -> None:
        async with self.inflight.track("slash command"):
            await ack()
            user_id = str(body["user_id"])
            user = await self.users.get(user_id)
            kind = await self._chat_kind(user_id, body.get("channel_id"))
            await self._answer(translate.command_origin(body, kind),
                               translate.command_message(body, user, kind), user)

    async def mention(self, body: Payload, event: Payload, context: AsyncBoltContext) -> None:
        if translate.is_from_person(event):
            await self._event("app mention", body, event, context)

    async def message(self, body: Payload, event: Payload, context: AsyncBoltContext) -> None:
        if translate.is_plain_dm(event):
            await self._event("direct message", body, event, context)
        # Edits, joins, bot posts and channel chatter are acknowledged and left alone.

    async def action(self, ack: Ack, body: Payload, action: Payload) -> None:
        async with self.inflight.track("button"):
            await ack()
            user_id = str(body["user"]["id"])
            user = await self.users.get(user_id)
            chat_id = translate.action_channel(body) or await self._dm_channel(user_id)
            kind = await self._chat_kind(user_id, chat_id)
            message = translate.action_message(body, action, user, chat_id, kind)
            await self._answer(translate.action_origin(body, kind), message, user)

    async def view_submission(self, ack: Ack, body: Payload, view: Payload) -> None:
        async with self.inflight.track("form submission"):
            acked = False
            try:
                errors, answer = await self._submit(body, view)
                if errors:
                    await ack(response_action="errors", errors=errors)
                else:
                    await ack()
                acked = True
                await answer()
            finally:
                if not acked:
                    await ack()  # close the form rather than leave it spinning

    async def home_opened(self, body: Payload, event: Payload) -> None:
        if event.get("tab", "home") != "home":
            return
        async with self.inflight.track("home tab"):
            user = await self.users.get(str(event["user"]))
            replies: list[Reply] = []
            for text in HOME_COMMANDS:
                message = translate.home_message(event, user, body.get("team_id"), text)
                replies += await self.conversation.handle(message)
            await self.client.views_publish(user_id=str(event["user"]), view=home_view(replies))

    # -- shared steps

    async def _event(
        self, what: str, body: Payload, event: Payload, context: AsyncBoltContext
    ) -> None:
        async with self.inflight.track(what):
            user = await self.users.get(str(event["user"]))
            message = translate.event_message(body, event, user, context.bot_user_id)
            await self._answer(translate.event_origin(event), message, user)

    async def _answer(self, origin: Origin, message: IncomingMessage, user: SlackUser) -> None:
        for reply in await self.conversation.handle(message):
            if reply.extra.get("form") == FORM and await self._open_form(origin, reply, user):
                continue
            await self.poster.post(origin, reply)

    async def _open_form(self, origin: Origin, reply: Reply, user: SlackUser) -> bool:
        """Open the update form; False (answer with the reply itself) where none can open."""
        if not origin.trigger_id:
            return False  # typed text has no trigger: the reply lists the fields instead
        texts = self.texts.get(reply.extra.get("locale") or user.locale)
        try:
            account_id = int(reply.extra["account_id"])
            model = await self.conversation.service.active_model()
            card = await self.conversation.service.card(account_id, locale=texts.locale)
            context = modals.FormContext(account_id, card.account.version,
                                         origin.channel_id, origin.response_url)
            view = modals.update_facts_view(reply, model, card.facts, texts, context)
            await self.client.views_open(trigger_id=origin.trigger_id, view=view)
        except Exception:
            # The form is a convenience: the reply it stands for already lists every field
            # and how to set it, so any failure (an expired trigger, say) falls back to it.
            log.exception("could not open the update form")
            return False
        return True

    async def _submit(
        self, body: Payload, view: Payload
    ) -> tuple[dict[str, str], Callable[[], Awaitable[None]]]:
        """Run the form's changes through the core: (field errors, how to answer)."""
        context = modals.FormContext.decode(str(view.get("private_metadata") or ""))
        changes = modals.changed_fields(context, modals.submitted_values(view))
        user_id = str(body["user"]["id"])
        if not changes:
            return {}, _nothing
        user = await self.users.get(user_id)
        chat_id = context.chat_id or await self._dm_channel(user_id)
        kind = await self._chat_kind(user_id, chat_id)
        text = modals.set_command(context.account_id, changes)
        replies = await self.conversation.handle(
            translate.action_message(body, {"value": text}, user, chat_id, kind)
        )
        failed = next((r for r in replies if r.kind is ReplyKind.ERROR), None)
        if failed is not None:
            return modals.field_errors(failed, list(changes)), _nothing
        origin = Origin(user_id, kind, context.chat_id, context.response_url)

        async def answer() -> None:
            for reply in replies:
                await self.poster.post(origin, reply)

        return {}, answer

    async def _chat_kind(self, user_id: str, channel_id: str | None) -> ChatKind:
        """Only the bot's own DM with the person is private. A slash command typed in a DM
        between two people must not show the answer to the other one."""
        if not channel_id or not channel_id.startswith("D"):
            return ChatKind.GROUP
        private = channel_id == await self._dm_channel(user_id)
        return ChatKind.PRIVATE if private else ChatKind.GROUP

    async def _dm_channel(self, user_id: str) -> str:
        """The DM's id keeps a flow started from App Home or a form in the person's DM."""
        try:
            return await self.poster.sender.dm_channel(user_id)
        except FAILURES as error:
            log.warning("conversations.open failed for %s: %s", user_id, error)
            return user_id


async def _nothing() -> None:
    return None
