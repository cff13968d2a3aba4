"""Who is behind a recipient address: the person, their language and time zone."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery.senders import parse_address
from bot.store.enums import ChatPlatform
from bot.store.tables import ChatIdentity, Person


@dataclass(frozen=True, slots=True)
class PersonInfo:
    id: int
    name: str
    language: str | None
    time_zone: str


async def people_behind(session: AsyncSession, recipients: Iterable[str]) -> dict[str, PersonInfo]:
    """The person for each ``slack:``/``telegram:`` address that still has a chat identity.

    Channel addresses and addresses whose identity is gone are absent from the result.
    """
    wanted: dict[tuple[str, str], str] = {}
    for recipient in recipients:
        address = parse_address(recipient)
        if address.is_person:
            wanted[(address.platform, address.target)] = recipient
    if not wanted:
        return {}
    pairs = [(ChatPlatform(platform), target) for platform, target in wanted]
    rows = await session.execute(
        select(
            ChatIdentity.platform, ChatIdentity.platform_user_id,
            Person.id, Person.name, Person.language, Person.time_zone,
        )
        .join(Person, Person.id == ChatIdentity.person_id)
        .where(tuple_(ChatIdentity.platform, ChatIdentity.platform_user_id).in_(pairs))
    )
    found: dict[str, PersonInfo] = {}
    for platform, user_id, person_id, name, language, time_zone in rows:
        recipient = wanted[(platform.value, user_id)]
        found[recipient] = PersonInfo(person_id, name, language and language.value, time_zone)
    return found
