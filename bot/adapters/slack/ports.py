"""What the Slack adapter needs from the rest of tierbot, as narrow protocols.

The real :class:`bot.conversation.core.Conversation` satisfies :class:`ConversationPort`;
tests pass a small fake. The adapter reads the active model and an account's current
facts only to build the update form; every change goes through ``handle``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from bot.conversation.messages import IncomingMessage, Reply
from scoring import CompiledModel, FactValue


class AccountRef(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> int: ...


class FactsCard(Protocol):
    """The part of the service's ``Card`` the update form is filled from."""

    @property
    def account(self) -> AccountRef: ...

    @property
    def facts(self) -> Mapping[str, FactValue]: ...


class FormSource(Protocol):
    async def active_model(self) -> CompiledModel: ...

    async def card(self, account_id: int, *, locale: str = ...) -> FactsCard: ...


class ConversationPort(Protocol):
    @property
    def service(self) -> FormSource: ...

    async def handle(self, message: IncomingMessage) -> list[Reply]: ...
