"""What every handler gets: the message, who sent it, their language, and the use-cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.conversation.messages import IncomingMessage
from bot.conversation.texts import Texts, TextsCache
from bot.service import TieringService
from bot.service.actor import Actor
from bot.service.views import AccountSummary, PersonView
from bot.store.enums import Role


@dataclass(frozen=True, slots=True)
class Turn:
    message: IncomingMessage
    person: PersonView
    actor: Actor
    texts: Texts
    service: TieringService
    now: datetime
    all_texts: TextsCache

    @property
    def is_manager(self) -> bool:
        return self.person.role in (Role.MANAGER, Role.ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.person.role is Role.ADMIN

    def may_edit(self, account: AccountSummary) -> bool:
        """Whether the service would let this person change ``account``, so a card never
        offers an Update that would be refused."""
        return self.service.may_edit(self.actor, account.owner_id)
