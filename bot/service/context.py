"""What every use-case needs: the database, the clock, the active model and the settings.

Use-cases are plain async functions taking a :class:`ServiceContext`; the
:class:`~bot.service.facade.TieringService` facade builds one and passes it along.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock, local_today
from bot.service.registry import ModelRegistry
from bot.store.db import Database
from bot.store.errors import ConcurrentUpdateError

T = TypeVar("T")

# Each retry reloads the row, so only people editing the same account in the
# same instant collide; a handful of rounds is plenty even for bursts.
RETRIES = 8


@dataclass(frozen=True, slots=True)
class ServiceContext:
    database: Database
    clock: Clock
    models: ModelRegistry
    alert_routes: Mapping[str, list[str]] = field(default_factory=dict)
    reps_update_all: bool = False
    conversation_timeout: timedelta = timedelta(minutes=30)

    def today(self) -> date:
        """The date facts such as "last order date" are measured from (UTC)."""
        return local_today(self.clock)


@asynccontextmanager
async def transaction(database: Database) -> AsyncIterator[AsyncSession]:
    """One unit of work: commits when the block ends normally, rolls back otherwise."""
    async with database.session() as session:
        yield session
        await session.commit()


async def retry_on_conflict(run: Callable[[], Awaitable[T]], attempts: int = RETRIES) -> T:
    """Run a whole use-case again when a row it saves was changed since it loaded it."""
    for _ in range(attempts - 1):
        try:
            return await run()
        except ConcurrentUpdateError:
            continue
    return await run()
