"""Keeping the account-name index quick to read (see :func:`bot.store.search.tidy_name_index`)."""

from __future__ import annotations

from bot.service.context import ServiceContext, transaction
from bot.store.search import tidy_name_index


async def tidy(ctx: ServiceContext, *, thorough: bool = False) -> None:
    async with transaction(ctx.database) as session:
        await tidy_name_index(session, thorough=thorough)
