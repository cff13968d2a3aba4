"""Claiming outbox rows and recording what became of them.

A claim is one transaction that moves rows from ``pending`` to ``sending`` and sets
``next_attempt_at`` to the end of a *lease* (the table has no separate lease column:
while a row is ``sending``, ``next_attempt_at`` is when its claim expires). Sending
happens after the claim commits, outside any transaction; the outcome is recorded in
a second, short transaction (shared by concurrent sends: :mod:`bot.delivery.outcomes`).

Claims are made per recipient, so that all the alerts one person is due get one
summary message even with several workers:

1. list recipients that have due rows, oldest first; an alert is only due once the
   recipient's oldest waiting alert is ``window`` old, so a burst (a model activation
   moving 500 accounts) is collected into one message;
2. on PostgreSQL, take a transaction-scoped advisory lock per recipient, passing over
   those another worker is claiming at this instant, until ``limit`` are held (the
   list is longer than ``limit`` so that replicas do not all queue for the same few);
3. ``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING`` every due row
   of the locked recipients: the rows are claimed and read in one statement.

A ``sending`` row whose lease has expired belongs to a worker that died or hung
between sending and recording the outcome. It is claimed again like a pending row
and marked (``last_error`` = :data:`POSSIBLE_DUPLICATE`, payload flag
``possible_duplicate``): the platform may already show it, so the recipient can get
that one message twice, never more per crash. That is the at-least-once boundary
every chat platform without idempotency keys imposes.

On SQLite steps 1 and 3 run in separate transactions (a read transaction that later
writes can fail with "database is locked" when another connection wrote in between);
that is safe because SQLite runs one worker only (:mod:`bot.delivery.lock`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.enums import OutboxKind, OutboxStatus
from bot.store.tables import OutboxMessage

POSSIBLE_DUPLICATE = "possible duplicate after a crash: claimed again after its lease expired"
# More rows than this in one claim are left for the next claim (and the next message).
MAX_ROWS_PER_CLAIM = 20_000
# Namespace for pg_try_advisory_xact_lock(key1, key2), so other users of advisory
# locks in the same database cannot collide with ours.
_LOCK_NAMESPACE = 0x7469_6572  # "tier"
_CANDIDATES_PER_SLOT = 4

_O = OutboxMessage


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    kind: OutboxKind
    recipient: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    reclaimed: bool  # was 'sending' with an expired lease: may have been sent already


def _due(now: datetime) -> ColumnElement[bool]:
    waiting = _O.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING))
    return and_(waiting, _O.next_attempt_at <= now)


async def claim(
    session: AsyncSession,
    now: datetime,
    *,
    limit: int,
    lease: timedelta,
    window: timedelta,
) -> list[OutboxItem]:
    """Claim the due rows of up to ``limit`` recipients; commits. Oldest rows first."""
    if session.get_bind().dialect.name == "postgresql":
        candidates = await _ready_recipients(session, now, limit * _CANDIDATES_PER_SLOT, window)
        recipients = await _lock_recipients(session, candidates, limit)
    else:
        recipients = await _ready_recipients(session, now, limit, window)
        await session.commit()
    items = await _claim_rows(session, now, recipients, lease) if recipients else []
    await session.commit()
    return items


async def _ready_recipients(
    session: AsyncSession, now: datetime, limit: int, window: timedelta
) -> list[str]:
    alert = _O.kind == OutboxKind.ALERT
    # Anything but a fresh alert is due at once: digests, and rows being reclaimed.
    urgent = func.sum(case((or_(~alert, _O.status == OutboxStatus.SENDING), 1), else_=0))
    oldest_alert = func.min(case((alert, _O.created_at), else_=None))
    query = (
        select(_O.recipient)
        .where(_due(now))
        .group_by(_O.recipient)
        .having(or_(urgent > 0, oldest_alert <= now - window))
        .order_by(func.min(_O.id))
        .limit(limit)
    )
    return list(await session.scalars(query))


async def _lock_recipients(
    session: AsyncSession, candidates: Sequence[str], limit: int
) -> list[str]:
    locked: list[str] = []
    for recipient in candidates:
        if len(locked) == limit:
            break
        held = await session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:namespace, hashtext(:recipient))"),
            {"namespace": _LOCK_NAMESPACE, "recipient": recipient},
        )
        if held:
            locked.append(recipient)
    return locked


async def _claim_rows(
    session: AsyncSession, now: datetime, recipients: Sequence[str], lease: timedelta
) -> list[OutboxItem]:
    due_ids = (
        select(_O.id)
        .where(_O.recipient.in_(recipients), _due(now))
        .order_by(_O.id)
        .limit(MAX_ROWS_PER_CLAIM)
        .with_for_update(skip_locked=True)
    )
    reclaimed = _O.status == OutboxStatus.SENDING
    claimed = (
        update(_O)
        .where(_O.id.in_(due_ids.scalar_subquery()))
        .values(
            status=OutboxStatus.SENDING,
            next_attempt_at=now + lease,
            last_error=case((reclaimed, POSSIBLE_DUPLICATE), else_=_O.last_error),
        )
        .returning(
            _O.id, _O.kind, _O.recipient, _O.payload, _O.attempts, _O.created_at, _O.last_error
        )
        .execution_options(synchronize_session=False)
    )
    rows = (await session.execute(claimed)).all()
    items = sorted(
        (
            OutboxItem(
                row.id, row.kind, row.recipient, row.payload, row.attempts, row.created_at,
                # The flag outlives last_error, which a later failure overwrites.
                row.last_error == POSSIBLE_DUPLICATE or bool(row.payload.get("possible_duplicate")),
            )
            for row in rows
        ),
        key=lambda item: item.id,
    )
    await _flag_duplicates(session, [item for item in items if item.reclaimed])
    return items


async def _flag_duplicates(session: AsyncSession, items: Iterable[OutboxItem]) -> None:
    for item in items:
        if item.payload.get("possible_duplicate"):
            continue
        await session.execute(
            update(_O)
            .where(_O.id == item.id)
            .values(payload={**item.payload, "possible_duplicate": True})
            .execution_options(synchronize_session=False)
        )


async def mark_retry(
    session: AsyncSession, ids: Sequence[int], at: datetime, error: str
) -> None:
    await _set(
        session, ids, status=OutboxStatus.PENDING, next_attempt_at=at, last_error=error,
        attempts=_O.attempts + 1,
    )


async def mark_dead(session: AsyncSession, ids: Sequence[int], error: str, *, count: bool) -> None:
    extra: dict[str, Any] = {"attempts": _O.attempts + 1} if count else {}
    await _set(session, ids, status=OutboxStatus.DEAD, last_error=error, **extra)


async def hold(session: AsyncSession, ids: Sequence[int], until: datetime) -> None:
    """Back to pending without counting an attempt: quiet hours, not a failure."""
    await _set(session, ids, status=OutboxStatus.PENDING, next_attempt_at=until)


async def _set(session: AsyncSession, ids: Sequence[int], **values: Any) -> None:
    # Only rows still 'sending' change: a row another worker took over after its lease
    # ran out, and has already settled, stays as that worker left it.
    for start in range(0, len(ids), 1000):
        await session.execute(
            update(_O)
            .where(_O.id.in_(ids[start : start + 1000]), _O.status == OutboxStatus.SENDING)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
