"""The conversation core: one entry point for every platform.

``Conversation.handle`` takes an IncomingMessage and returns the Replies to send. It
admits the sender, continues a multi-turn flow if one is open, parses the command and
runs its handler. Every error a person can cause becomes a reply; an unexpected one
is logged and answered with an apology, never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from bot.clock import Clock
from bot.conversation.access import AccessPolicy, Admitted
from bot.conversation.cards import ref
from bot.conversation.errors import parse_error_reply, service_error_reply
from bot.conversation.handlers import accounts, lists, people
from bot.conversation.handlers.help import help_reply
from bot.conversation.handlers.qualify import FLOW, QualifyFlow
from bot.conversation.messages import IncomingMessage, Reply, ReplyKind
from bot.conversation.parser import Command, ParseError, Verb, normalize, parse
from bot.conversation.texts import TextsCache
from bot.conversation.turn import Turn
from bot.service import TieringService
from bot.service.errors import AccountNotFound, AmbiguousAccount, ServiceError
from bot.service.views import PersonView
from bot.store.errors import StoreError
from scoring import CompiledModel

log = logging.getLogger(__name__)

Handler = Callable[[Turn, Command], Awaitable[Reply]]
# Builds the weekly digest a manager would get now (the delivery layer provides it).
DigestPreview = Callable[[PersonView], Awaitable[Reply]]
# Answering these twice is harmless, so their deliveries need no de-duplication write.
READ_ONLY = frozenset(
    {
        Verb.HELP,
        Verb.TIER,
        Verb.WHY,
        Verb.PLAYBOOK,
        Verb.HISTORY,
        Verb.EDIT,
        Verb.FIND,
        Verb.MINE,
        Verb.MOVERS,
        Verb.REVIEW,
        Verb.DIGEST,
        Verb.WHOAMI,
        Verb.MODEL,
        Verb.PEOPLE,
    }
)
_PEOPLE_CHANGES = frozenset({Verb.ROLE, Verb.PEOPLE_ADD, Verb.PEOPLE_REMOVE})
_LOOKUP_ERRORS = (AccountNotFound, AmbiguousAccount)
# Words that act on a qualification, open or just finished, when typed as plain text.
_FLOW_WORDS = {
    "back": Verb.QUALIFY_BACK,
    "返回": Verb.QUALIFY_BACK,
    "上一步": Verb.QUALIFY_BACK,
    "cancel": Verb.QUALIFY_CANCEL,
    "取消": Verb.QUALIFY_CANCEL,
    "stop": Verb.QUALIFY_CANCEL,
}


class Conversation:
    def __init__(
        self,
        service: TieringService,
        texts: TextsCache,
        access: AccessPolicy,
        *,
        clock: Clock,
        prospect_model: CompiledModel,
        digest_preview: DigestPreview | None = None,
    ) -> None:
        self.service = service
        self.texts = texts
        self.access = access
        self.clock = clock
        self.qualify = QualifyFlow(prospect_model)
        self.digest_preview = digest_preview
        self.handlers: dict[Verb, Handler] = {
            Verb.HELP: help_reply,
            Verb.TIER: accounts.tier,
            Verb.WHY: accounts.why,
            Verb.PLAYBOOK: accounts.playbook,
            Verb.HISTORY: accounts.history,
            Verb.SET: accounts.set_facts,
            Verb.EDIT: accounts.edit,
            Verb.OVERRIDE: accounts.override,
            Verb.OVERRIDE_CLEAR: accounts.override_clear,
            Verb.UNDO: accounts.undo,
            Verb.REVIEWED: accounts.reviewed,
            Verb.FIND: accounts.find,
            Verb.MINE: lists.mine,
            Verb.MOVERS: lists.movers,
            Verb.REVIEW: lists.review,
            Verb.DIGEST: self._digest,
            Verb.QUALIFY: self.qualify.start,
            Verb.QUALIFY_ANSWER: self.qualify.answer,
            Verb.QUALIFY_BACK: self.qualify.back,
            Verb.QUALIFY_CANCEL: self.qualify.cancel,
            Verb.QUALIFY_SAVE: self.qualify.save,
            Verb.ALERTS_SWITCH: people.alerts_switch,
            Verb.DIGEST_SWITCH: people.digest_switch,
            Verb.LANG: people.lang,
            Verb.WHOAMI: people.whoami,
            Verb.ROLE: people.role,
            Verb.MODEL: people.model,
            Verb.PEOPLE: people.people,
            Verb.PEOPLE_ADD: people.people_add,
            Verb.PEOPLE_REMOVE: people.people_remove,
        }

    async def handle(self, message: IncomingMessage) -> list[Reply]:
        texts = self.texts.get(message.locale)
        try:
            admitted = await self.access.admit(message)
            if not isinstance(admitted, Admitted):
                texts = self.texts.get(admitted.locale)
                return [
                    Reply(
                        title=texts(
                            "common", "refused", reason=admitted.reason, user_id=admitted.user_id
                        ),
                        kind=ReplyKind.ERROR,
                    )
                ]
            texts = self.texts.get(admitted.locale)
            turn = Turn(
                message,
                admitted.person,
                admitted.actor,
                texts,
                self.service,
                self._now(),
                self.texts,
            )
            reply = await self._run(turn)
            return [] if reply is None else [reply]
        except ServiceError as error:
            return [service_error_reply(texts, error)]
        except StoreError:
            log.exception("storage failed while handling %s", message.platform)
            return [Reply(title=texts("common", "try_again"), kind=ReplyKind.ERROR)]
        except Exception:
            log.exception("unexpected error while handling %s", message.platform)
            return [Reply(title=texts("common", "try_again"), kind=ReplyKind.ERROR)]

    async def _digest(self, turn: Turn, command: Command) -> Reply:
        """Managers see the digest they will get; reps a summary of their own accounts."""
        if turn.is_manager and self.digest_preview is not None:
            return await self.digest_preview(turn.person)
        return await lists.digest_preview(turn, command)

    def _now(self) -> datetime:
        return self.clock.now()

    async def _run(self, turn: Turn) -> Reply | None:
        command = await self._command(turn)
        if isinstance(command, ParseError):
            return await self._parse_error(turn, command)
        if command.verb in READ_ONLY:
            return await self._dispatch(turn, command)
        if not await self._first_delivery(turn.message):
            return None  # a platform's retry of a change already made: never apply it twice
        try:
            return await self._dispatch(turn, command)
        finally:
            # Settings and roles may have changed: the next message looks the sender up again.
            self.access.forget(None if command.verb in _PEOPLE_CHANGES else turn.message)

    async def _parse_error(self, turn: Turn, error: ParseError) -> Reply:
        """A message that is no command ("Set Logistics") may be an account's exact name."""
        if error.name_reading:
            named = await accounts.exactly_named(turn, error.name_reading)
            if named is not None:
                return await accounts.tier(turn, Command(Verb.TIER, target=ref(named)))
        return parse_error_reply(turn.texts, error)

    async def _dispatch(self, turn: Turn, command: Command) -> Reply:
        """Run the command's handler; an account it cannot find gets choices that repeat it."""
        try:
            return await self._run_or_read_as_name(turn, command)
        except _LOOKUP_ERRORS as error:
            return service_error_reply(turn.texts, error, command)

    async def _run_or_read_as_name(self, turn: Turn, command: Command) -> Reply:
        """A command word may start an account's name ("历史文化传媒有限公司" starts with
        历史, history): the account the whole message names is shown instead when a
        glued command word was only a guess, or when the command's target is not found."""
        if command.glued:
            # Every glued command asks this, so by the two index lookups of an exact name
            # (Chinese has no case to ignore), not a fuzzy search.
            named = await turn.service.exact_account(command.name_reading)
            if named is not None:
                return await accounts.tier(turn, Command(Verb.TIER, target=ref(named)))
        try:
            return await self.handlers[command.verb](turn, command)
        except _LOOKUP_ERRORS:
            if not command.name_reading:
                raise
            card = await self._card_named_by_message(turn, command)
            if card is None:
                raise
            return card

    async def _card_named_by_message(self, turn: Turn, command: Command) -> Reply | None:
        if command.glued:
            # The exact name was tried already; the message may be the start of one.
            try:
                return await accounts.tier(turn, Command(Verb.TIER, target=command.name_reading))
            except _LOOKUP_ERRORS:
                return None
        named = await accounts.exactly_named(turn, command.name_reading)
        if named is None:
            return None
        return await accounts.tier(turn, Command(Verb.TIER, target=ref(named)))

    async def _first_delivery(self, message: IncomingMessage) -> bool:
        if not message.delivery_id:
            return True
        return await self.service.first_delivery(message.platform.value, message.delivery_id)

    async def _command(self, turn: Turn) -> Command | ParseError:
        """Typed text in an open qualification answers it, unless a command word starts it;
        back and cancel also act on one just finished (its result screen)."""
        text = normalize(turn.message.text).strip()
        parsed = parse(text)
        explicit = isinstance(parsed, ParseError) or parsed.explicit
        if turn.message.is_button or explicit:
            return parsed
        flow = await self._flow(turn)
        if flow is None:
            return parsed
        flow_word = _FLOW_WORDS.get(text.casefold())
        if flow_word is not None:
            return Command(flow_word)
        if flow.get("done"):
            return parsed  # the questions are over: typed text is a command again
        return Command(Verb.QUALIFY_ANSWER, value=text)

    async def _flow(self, turn: Turn) -> dict[str, Any] | None:
        """The state of this person's qualification in this chat, open or finished."""
        message = turn.message
        state = await self.service.load_state(
            message.platform.value, message.chat_id, message.user_id
        )
        return state[1] if state is not None and state[0] == FLOW else None
