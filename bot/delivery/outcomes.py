"""Recording send outcomes with group commit.

Each message's outcome must be durable before its sender takes the next message,
so that a crash can repeat only messages in flight. One transaction per message
would make SQLite's fsync (and a statement per message) the ceiling on throughput;
instead, outcomes that arrive while a commit is running wait for it and then go
together in the next one, the sent ones as a single executemany. Every caller still
returns only once its own outcome is committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Table, bindparam, update

from bot.delivery import claims
from bot.store.db import Database
from bot.store.enums import OutboxStatus
from bot.store.tables import OutboxMessage

_TABLE: Table = OutboxMessage.__table__  # type: ignore[assignment]
# One statement for every sent row of a commit; rows another worker has settled in
# the meantime (after taking them over) are left alone, as in claims._set.
_MARK_SENT = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("row_id"), _TABLE.c.status == OutboxStatus.SENDING)
    .values(
        status=OutboxStatus.SENT,
        sent_at=bindparam("at", type_=_TABLE.c.sent_at.type),
        platform_message_id=bindparam("message_id"),
    )
)


@dataclass(eq=False, slots=True)
class _Outcome:
    ids: Sequence[int]
    status: OutboxStatus
    at: datetime | None = None
    message_id: str = ""
    error: str = ""
    done: bool = False
    failure: BaseException | None = field(default=None)


class GroupCommit:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._queue: list[_Outcome] = []
        self._lock = asyncio.Lock()

    async def sent(self, ids: Sequence[int], at: datetime, message_id: str) -> None:
        await self._record(_Outcome(ids, OutboxStatus.SENT, at=at, message_id=message_id))

    async def retry(self, ids: Sequence[int], at: datetime, error: str) -> None:
        await self._record(_Outcome(ids, OutboxStatus.PENDING, at=at, error=error))

    async def dead(self, ids: Sequence[int], error: str) -> None:
        await self._record(_Outcome(ids, OutboxStatus.DEAD, error=error))

    async def _record(self, outcome: _Outcome) -> None:
        self._queue.append(outcome)
        async with self._lock:
            if not outcome.done:
                await self._commit_queued()
        if outcome.failure is not None:
            raise outcome.failure

    async def _commit_queued(self) -> None:
        batch, self._queue = self._queue, []
        try:
            async with self._database.session() as session:
                sent = [
                    {"row_id": row_id, "at": o.at, "message_id": o.message_id}
                    for o in batch if o.status is OutboxStatus.SENT for row_id in o.ids
                ]
                if sent:
                    await session.execute(_MARK_SENT, sent)
                for o in batch:
                    if o.status is OutboxStatus.PENDING:
                        assert o.at is not None
                        await claims.mark_retry(session, o.ids, o.at, o.error)
                    elif o.status is OutboxStatus.DEAD:
                        await claims.mark_dead(session, o.ids, o.error, count=True)
                await session.commit()
        except Exception as error:
            for o in batch:
                o.failure = error
        for o in batch:
            o.done = True
