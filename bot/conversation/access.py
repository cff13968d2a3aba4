"""Who may talk to the bot: workspace and chat allowlists, known people, newcomers' role."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from bot.conversation.messages import IncomingMessage, Platform
from bot.i18n import normalize_locale
from bot.service import TieringService
from bot.service.actor import Actor
from bot.service.views import PersonView
from bot.store.enums import Channel, Role


@dataclass(frozen=True, slots=True)
class Admitted:
    person: PersonView
    actor: Actor
    locale: str


@dataclass(frozen=True, slots=True)
class Refused:
    """``reason`` is a stable code the templates explain; ``user_id`` helps onboarding."""

    reason: str
    locale: str
    user_id: str


PERSON_CACHE_SECONDS = 5.0  # how long another replica's role or language change may lag


class AccessPolicy:
    def __init__(
        self,
        service: TieringService,
        *,
        default_role: Role | None = None,
        slack_teams: Sequence[str] = (),
        telegram_chats: Sequence[str] = (),
    ) -> None:
        self.service = service
        self.default_role = default_role
        self.slack_teams = frozenset(slack_teams)
        self.telegram_chats = frozenset(telegram_chats)
        self._people: dict[tuple[str, str], tuple[float, PersonView]] = {}

    def forget(self, message: IncomingMessage | None = None) -> None:
        """Drop cached people (one sender, or everyone) after a change to people."""
        if message is None:
            self._people.clear()
        else:
            self._people.pop((message.platform.value, message.user_id), None)

    async def _person(self, message: IncomingMessage) -> PersonView | None:
        key = (message.platform.value, message.user_id)
        now = time.monotonic()
        cached = self._people.get(key)
        if cached is not None and now - cached[0] <= PERSON_CACHE_SECONDS:
            return cached[1]
        person = await self.service.person_by_identity(*key)
        if person is not None:
            self._people[key] = (now, person)
        return person

    async def admit(self, message: IncomingMessage) -> Admitted | Refused:
        hint = normalize_locale(message.locale)
        if not self._place_allowed(message):
            return Refused("place_not_allowed", hint, message.user_id)
        person = await self._person(message)
        if person is None and self.default_role is not None:
            person = await self.service.ensure_person(
                message.platform.value,
                message.user_id,
                name=message.user_name or f"{message.platform.value}:{message.user_id}",
                role=self.default_role,
                language=None,
                team_id=message.team_id,
            )
        if person is None:
            return Refused("unknown_person", hint, message.user_id)
        locale = person.language.value if person.language else hint
        return Admitted(person, actor_for(person, message), locale)

    def _place_allowed(self, message: IncomingMessage) -> bool:
        if message.platform is Platform.SLACK and self.slack_teams:
            return message.team_id in self.slack_teams
        if message.platform is Platform.TELEGRAM and self.telegram_chats:
            return bool({message.chat_id, message.user_id} & self.telegram_chats)
        return True


def actor_for(person: PersonView, message: IncomingMessage) -> Actor:
    return Actor(
        person_id=person.id,
        name=person.name,
        role=person.role,
        label=f"{message.platform.value}:{message.user_id}",
        channel=Channel(message.platform.value),
    )
