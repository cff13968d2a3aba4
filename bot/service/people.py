"""People who use the bot: adding and removing them, roles, chat identities, preferences."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

from sqlalchemy import Select, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.service import audit, directory
from bot.service.actor import Actor
from bot.service.context import ServiceContext, transaction
from bot.service.convert import person_view
from bot.service.departures import keep_an_admin
from bot.service.errors import PersonNotFound
from bot.service.permissions import require_admin
from bot.service.views import PersonView
from bot.store.enums import Channel, ChatPlatform, Language, Role
from bot.store.tables import ChatIdentity, Person


class Keep(Enum):
    """Leave a preference as it is (None already means "follow the platform")."""

    KEEP = "keep"


KEEP = Keep.KEEP
Kept = Literal[Keep.KEEP]


@dataclass(frozen=True, slots=True)
class NewPerson:
    name: str
    role: Role | str
    slack: str | None = None
    telegram: str | None = None
    email: str | None = None
    language: Language | str | None = None
    time_zone: str = "UTC"


@dataclass(frozen=True, slots=True)
class Preferences:
    language: Language | str | Kept | None = KEEP
    alerts_enabled: bool | Kept = KEEP
    digest_enabled: bool | Kept = KEEP
    time_zone: str | Kept = KEEP


async def add_person(ctx: ServiceContext, actor: Actor, new: NewPerson) -> PersonView:
    require_admin(actor)
    person = Person(
        name=directory.clean_name(new.name),
        role=directory.role_of(new.role),
        language=directory.language_of(new.language),
        time_zone=directory.zone_of(new.time_zone),
        email=directory.email_of(new.email),
        created_at=ctx.clock.now(),
    )
    links = [
        (platform, directory.user_id_of(platform, user_id))
        for platform, user_id in [
            (ChatPlatform.SLACK, new.slack),
            (ChatPlatform.TELEGRAM, new.telegram),
        ]
        if user_id is not None and user_id.strip()
    ]
    try:
        async with transaction(ctx.database) as session:
            if await directory.name_taken(session, person.name):
                raise directory.invalid("name", f"{person.name!r} is already taken")
            for platform, user_id in links:
                await directory.refuse_taken_identity(session, platform, user_id)
            session.add(person)
            await session.flush()
            for platform, user_id in links:
                await directory.link(session, person, platform, user_id, None)
            return await _audited(session, ctx, actor, "add_person", person)
    except IntegrityError:
        # Only when someone else added the same name or chat id at the same moment.
        taken = f"{person.name!r} or one of its chat ids was added meanwhile; try again"
        raise directory.invalid("name", taken) from None


async def list_people(ctx: ServiceContext) -> list[PersonView]:
    async with ctx.database.session() as session:
        people = (await session.scalars(select(Person).order_by(Person.name))).all()
        links = (await session.scalars(select(ChatIdentity).order_by(ChatIdentity.id))).all()
    by_person: dict[int, list[ChatIdentity]] = {}
    for link in links:
        by_person.setdefault(link.person_id, []).append(link)
    return [person_view(p, by_person.get(p.id, [])) for p in people]


async def set_role(
    ctx: ServiceContext, actor: Actor, name_or_identity: str, role: Role | str
) -> PersonView:
    require_admin(actor)
    new_role = directory.role_of(role)
    async with transaction(ctx.database) as session:
        person = await directory.find(session, name_or_identity)
        await keep_an_admin(session, person, new_role)
        before = directory.document(await directory.view(session, person))
        person.role = new_role
        return await _audited(session, ctx, actor, "set_role", person, before)


async def link_identity(
    ctx: ServiceContext,
    actor: Actor,
    name_or_identity: str,
    platform: str,
    platform_user_id: str,
    team_id: str | None,
) -> PersonView:
    require_admin(actor)
    chat = directory.platform_of(platform)
    user_id = directory.user_id_of(chat, platform_user_id)
    try:
        async with transaction(ctx.database) as session:
            person = await directory.find(session, name_or_identity)
            await directory.refuse_taken_identity(session, chat, user_id)
            before = directory.document(await directory.view(session, person))
            await directory.link(session, person, chat, user_id, team_id)
            return await _audited(session, ctx, actor, "link_identity", person, before)
    except IntegrityError:
        linked = f"{platform}:{platform_user_id} is already linked"
        raise directory.invalid("identity", linked) from None


async def person_by_identity(
    ctx: ServiceContext, platform: str, platform_user_id: str
) -> PersonView | None:
    # Asked whenever a sender's cached view runs out: plain columns by unique and indexed
    # keys, two quick reads and no session.
    key = {"platform": directory.platform_of(platform), "user_id": platform_user_id}
    found = await ctx.database.quick_read(_person_by_identity_query(), key)
    if not found:
        return None
    person = found[0]
    links = await ctx.database.quick_read(_identities_query(), {"person_id": person.id})
    return person_view(person, links)


# What a PersonView shows of a person.
_PERSON_COLUMNS = (
    "id",
    "name",
    "role",
    "language",
    "time_zone",
    "email",
    "alerts_enabled",
    "digest_enabled",
)


@functools.cache
def _person_by_identity_query() -> Select[*tuple[Any, ...]]:
    # Built once: building a statement costs more than running this one.
    return (
        select(*(getattr(Person, name) for name in _PERSON_COLUMNS))
        .join(ChatIdentity, ChatIdentity.person_id == Person.id)
        .where(
            ChatIdentity.platform == bindparam("platform"),
            ChatIdentity.platform_user_id == bindparam("user_id"),
        )
    )


@functools.cache
def _identities_query() -> Select[*tuple[Any, ...]]:
    return (
        select(ChatIdentity.platform, ChatIdentity.platform_user_id, ChatIdentity.team_id)
        .where(ChatIdentity.person_id == bindparam("person_id"))
        .order_by(ChatIdentity.id)
    )


async def person_by_name(ctx: ServiceContext, name_or_identity: str) -> PersonView:
    async with ctx.database.session() as session:
        return await directory.view(session, await directory.find(session, name_or_identity))


async def ensure_person(
    ctx: ServiceContext,
    platform: str,
    platform_user_id: str,
    *,
    name: str,
    role: Role | str,
    language: Language | str | None,
    team_id: str | None,
) -> PersonView:
    """The person behind a chat identity, created on first contact (when the caller allows)."""
    chat = directory.platform_of(platform)
    found = await person_by_identity(ctx, chat.value, platform_user_id)
    if found is not None:
        return found
    label = f"{chat.value}:{platform_user_id}"
    newcomer = Actor(None, name, directory.role_of(role), label, Channel(chat.value))
    try:
        return await _create_for_identity(ctx, newcomer, chat, platform_user_id, language, team_id)
    except IntegrityError:
        # Their first two messages arrived together; the other one created them.
        again = await person_by_identity(ctx, chat.value, platform_user_id)
        if again is None:
            raise
        return again


async def _create_for_identity(
    ctx: ServiceContext,
    newcomer: Actor,
    chat: ChatPlatform,
    user_id: str,
    language: Language | str | None,
    team_id: str | None,
) -> PersonView:
    async with transaction(ctx.database) as session:
        name = directory.clean_name(newcomer.name)
        if await directory.name_taken(session, name):
            name = f"{name} ({newcomer.label})"
        language_value = directory.language_of(language)
        person = Person(
            name=name, role=newcomer.role, language=language_value, created_at=ctx.clock.now()
        )
        session.add(person)
        await session.flush()
        await directory.link(session, person, chat, user_id, team_id)
        return await _audited(session, ctx, newcomer, "add_person", person)


async def update_preferences(ctx: ServiceContext, actor: Actor, wanted: Preferences) -> PersonView:
    """Change the acting person's own preferences; fields left at KEEP stay as they are."""
    async with transaction(ctx.database) as session:
        person = await session.get(Person, actor.person_id) if actor.person_id else None
        if person is None:
            raise PersonNotFound(actor.name)
        before = directory.document(await directory.view(session, person))
        _apply(person, wanted)
        return await _audited(session, ctx, actor, "update_preferences", person, before)


def _apply(person: Person, wanted: Preferences) -> None:
    if wanted.language is not KEEP:
        person.language = directory.language_of(wanted.language)
    if wanted.alerts_enabled is not KEEP:
        person.alerts_enabled = wanted.alerts_enabled
    if wanted.digest_enabled is not KEEP:
        person.digest_enabled = wanted.digest_enabled
    if wanted.time_zone is not KEEP:
        person.time_zone = directory.zone_of(wanted.time_zone)


async def _audited(
    session: AsyncSession,
    ctx: ServiceContext,
    actor: Actor,
    action: str,
    person: Person,
    before: dict[str, Any] | None = None,
) -> PersonView:
    """The person as they are now, with the change recorded in the audit log."""
    now = await directory.view(session, person)
    audit.record(
        session,
        actor,
        action,
        (audit.PERSON, person.id),
        at=ctx.clock.now(),
        before=before,
        after=directory.document(now),
    )
    return now
