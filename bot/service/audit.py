"""The audit log: who did what, when, through which channel, with the state before and after."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.service.actor import Actor
from bot.store.tables import AuditEntry, Person

ACCOUNT = "account"
PERSON = "person"
MODEL = "model"

Document = dict[str, Any]


def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    target: tuple[str, object],
    *,
    at: datetime,
    before: Document | None = None,
    after: Document | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=at,
        actor_id=actor.person_id,
        actor_label=actor.label,
        action=action,
        target_type=target[0],
        target_id=str(target[1]),
        channel=actor.channel,
        before=before,
        after=after,
    )
    session.add(entry)
    return entry


async def account_entries(
    session: AsyncSession, account_id: int, *, limit: int = 200
) -> Sequence[AuditEntry]:
    """The newest entries about one account, newest first."""
    query = (
        select(AuditEntry)
        .where(AuditEntry.target_type == ACCOUNT, AuditEntry.target_id == str(account_id))
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def actor_names(session: AsyncSession, entries: Sequence[AuditEntry]) -> list[str]:
    """Who made ``entries``, by name where the person still exists, each once."""
    ids = {e.actor_id for e in entries if e.actor_id is not None}
    rows = await session.execute(select(Person.id, Person.name).where(Person.id.in_(ids)))
    names = {row.id: row.name for row in rows}
    found = (names.get(e.actor_id, e.actor_label) if e.actor_id else e.actor_label for e in entries)
    return list(dict.fromkeys(found))
