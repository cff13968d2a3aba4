"""Keeping the account-name indexes whole and quick to read (see :mod:`bot.store.search`)."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.service.context import ServiceContext, transaction
from bot.store.name_index import rebuild_of
from bot.store.search import tidy_name_index
from bot.store.tables import Account


async def tidy(ctx: ServiceContext, *, thorough: bool = False) -> None:
    async with transaction(ctx.database) as session:
        await tidy_name_index(session, thorough=thorough)


async def reindex(ctx: ServiceContext) -> int:
    """Rebuild the word index from every account; how many accounts there are.

    Writes keep the index in step; this is for a bulk load that bypassed them, or
    accounts written by other tools.
    """
    async with transaction(ctx.database) as session:
        await rebuild_of(session)
        return await session.scalar(select(func.count()).select_from(Account)) or 0
