"""What operators do from the command line: look into the outbox, send dead messages
again (``tierbot outbox``), and preview a digest (``tierbot digest preview``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from bot.clock import Clock
from bot.conversation.messages import Reply
from bot.conversation.texts import TextsCache
from bot.delivery.digest import DigestBuilder
from bot.delivery.schedule import iso_week, zone
from bot.store.db import Database
from bot.store.enums import OutboxKind, OutboxStatus
from bot.store.tables import OutboxMessage, Person

_O = OutboxMessage
_WAITING = (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.DEAD)


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    id: int
    kind: OutboxKind
    recipient: str
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    last_error: str | None


async def list_outbox(database: Database, limit: int = 200) -> list[OutboxEntry]:
    """Pending, sending and dead messages, oldest first (sent ones are history)."""
    query = (
        select(_O.id, _O.kind, _O.recipient, _O.status, _O.attempts, _O.next_attempt_at,
               _O.created_at, _O.last_error)
        .where(_O.status.in_(_WAITING))
        .order_by(_O.id)
        .limit(limit)
    )
    async with database.session() as session:
        return [OutboxEntry(*row) for row in await session.execute(query)]


async def retry(database: Database, clock: Clock, outbox_id: int) -> bool:
    """Send a dead (or waiting) message again from scratch; False if it is unknown or sent."""
    return await _revive(database, clock, _O.id == outbox_id,
                         _O.status.in_((OutboxStatus.DEAD, OutboxStatus.PENDING))) > 0


async def retry_dead(database: Database, clock: Clock) -> int:
    """Send every dead message again; returns how many."""
    return await _revive(database, clock, _O.status == OutboxStatus.DEAD)


async def _revive(database: Database, clock: Clock, *where: object) -> int:
    async with database.session() as session:
        result = await session.execute(
            update(_O)
            .where(*where)  # type: ignore[arg-type]
            .values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=clock.now(),
                    last_error=None)
        )
        await session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True, slots=True)
class Preview:
    reply: Reply
    png: bytes


async def preview_digest(
    database: Database, clock: Clock, texts: TextsCache, builder: DigestBuilder,
    person_name: str | None = None,
) -> Preview:
    """This week's digest as ``person_name`` would get it now (English, UTC without one).

    Raises LookupError when nobody has that name.
    """
    async with database.session() as session:
        person = None
        if person_name is not None:
            person = await session.scalar(select(Person).where(Person.name == person_name))
            if person is None:
                raise LookupError(f"nobody is called {person_name!r} (see: tierbot people list)")
        data = await builder.collect(session, clock.now())
    language = person.language.value if person is not None and person.language else None
    time_zone = person.time_zone if person is not None else "UTC"
    week = iso_week(clock.now().astimezone(zone(time_zone)).date())
    reply = builder.reply(texts.get(language), data, week=week, time_zone=time_zone)
    assert reply.image is not None
    return Preview(reply, reply.image.png)
