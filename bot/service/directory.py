"""Looking people up (by name or chat identity), and checking what is typed about them."""

from __future__ import annotations

from enum import Enum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.service.convert import person_view
from bot.service.errors import InvalidInput, PersonNotFound
from bot.service.views import PersonView
from bot.store.enums import ChatPlatform, Language, Role
from bot.store.tables import ChatIdentity, Person
from scoring import Problem

E = TypeVar("E", bound=Enum)


async def find(session: AsyncSession, text: str) -> Person:
    """A person by "platform:user id" or by name (exact, else ignoring case)."""
    platform, _, user_id = text.strip().partition(":")
    if user_id and platform in {p.value for p in ChatPlatform}:
        person = await by_identity(session, ChatPlatform(platform), user_id)
    else:
        person = await by_name(session, text.strip())
    if person is None:
        raise PersonNotFound(text)
    return person


async def by_name(session: AsyncSession, name: str) -> Person | None:
    exact = await session.scalar(select(Person).where(Person.name == name))
    if exact is not None:
        return exact
    folded = (
        await session.scalars(select(Person).where(func.lower(Person.name) == name.lower()))
    ).all()
    return folded[0] if len(folded) == 1 else None


async def by_identity(session: AsyncSession, platform: ChatPlatform, user_id: str) -> Person | None:
    query = (
        select(Person)
        .join(ChatIdentity, ChatIdentity.person_id == Person.id)
        .where(ChatIdentity.platform == platform, ChatIdentity.platform_user_id == user_id)
    )
    return await session.scalar(query)


async def link(
    session: AsyncSession, person: Person, platform: ChatPlatform, user_id: str, team: str | None
) -> None:
    session.add(
        ChatIdentity(person_id=person.id, platform=platform, platform_user_id=user_id, team_id=team)
    )
    await session.flush()


async def view(session: AsyncSession, person: Person) -> PersonView:
    await session.flush()
    links = await session.scalars(
        select(ChatIdentity).where(ChatIdentity.person_id == person.id).order_by(ChatIdentity.id)
    )
    return person_view(person, links.all())


async def name_taken(session: AsyncSession, name: str) -> bool:
    # Names are looked up ignoring case, so two that differ only in case would clash.
    taken = select(Person.id).where(func.lower(Person.name) == name.lower())
    return await session.scalar(taken) is not None


async def refuse_taken_identity(
    session: AsyncSession, platform: ChatPlatform, user_id: str
) -> None:
    """A chat id speaks for one person: say whose it is rather than fail on the index."""
    owner = await by_identity(session, platform, user_id)
    if owner is not None:
        raise invalid(platform.value, f"{user_id!r} already belongs to {owner.name}")


def user_id_of(platform: ChatPlatform, text: str) -> str:
    """A chat user id as typed, checked where its form is known: Telegram user ids are
    positive numbers (negative ones are groups, which cannot be a person)."""
    user_id = text.strip()
    if not user_id:
        raise invalid(platform.value, "an empty user id")
    if platform is ChatPlatform.TELEGRAM and not (user_id.isascii() and user_id.isdecimal()):
        why = "a group chat id, not a user" if user_id.startswith("-") else "not a number"
        raise invalid(
            platform.value, f"{user_id!r} is {why}; a Telegram user id is a number like 123456789"
        )
    return user_id


def email_of(text: str | None) -> str | None:
    """An address that could be one: one ``@``, a dot inside the domain, no spaces.
    Only plain mistakes (a name typed instead) are caught; delivery finds the rest."""
    email = (text or "").strip()
    if not email:
        return None
    local, _, domain = email.partition("@")
    plausible = (
        bool(local)
        and "@" not in domain
        and "." in domain[1:-1]
        and not any(c.isspace() for c in email)
    )
    if not plausible:
        raise invalid("email", f"{email!r} is not an email address (e.g. li.wei@example.com)")
    return email


def document(view: PersonView) -> dict[str, Any]:
    return {
        "name": view.name,
        "role": view.role.value,
        "language": view.language.value if view.language else None,
        "time_zone": view.time_zone,
        "email": view.email,
        "alerts_enabled": view.alerts_enabled,
        "digest_enabled": view.digest_enabled,
        "identities": [f"{i.platform}:{i.platform_user_id}" for i in view.identities],
    }


def clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise invalid("name", "a person needs a name")
    return cleaned


def role_of(role: Role | str) -> Role:
    return _one_of(Role, role, "role")


def language_of(language: Language | str | None) -> Language | None:
    return None if language is None else _one_of(Language, language, "language")


def platform_of(platform: str) -> ChatPlatform:
    return _one_of(ChatPlatform, platform, "platform")


def _one_of(kind: type[E], value: object, path: str) -> E:
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(str(member.value) for member in kind)
        raise invalid(path, f"{value!r} is not one of: {choices}") from None


def zone_of(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid("time_zone", f"{name!r} is not a time zone (e.g. Asia/Shanghai)") from None
    return name


def invalid(path: str, message: str) -> InvalidInput:
    return InvalidInput("person", [Problem(path, message)])
