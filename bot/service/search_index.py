"""Keeping the account-name indexes whole and quick to read (see :mod:`bot.store.search`)."""

from __future__ import annotations

from sqlalchemy import func, select, text

from bot.service.context import ServiceContext, transaction
from bot.store.name_index import rebuild_of
from bot.store.search import tidy_name_index, vacuum_name_index, warm_name_index
from bot.store.tables import Account


async def tidy(ctx: ServiceContext, *, thorough: bool = False) -> None:
    """Fold recent writes into the name indexes; ``thorough`` after a bulk load."""
    async with transaction(ctx.database) as session:
        await tidy_name_index(session, thorough=thorough)
    if thorough:
        await _vacuum(ctx)


async def _vacuum(ctx: ServiceContext) -> None:
    if ctx.database.dialect == "postgresql":
        async with ctx.database.connection() as connection:
            await vacuum_name_index(
                await connection.execution_options(isolation_level="AUTOCOMMIT")
            )


async def after_rewrite(ctx: ServiceContext) -> None:
    """Tidy up after every account was rewritten (a model activation).

    On PostgreSQL the rewrite leaves as many dead row versions as accounts: until
    autovacuum comes by, a lookup's index scans visit them too (at 300,000 accounts its
    p99 went from 14 to 24 ms). Vacuuming the table now costs seconds once. The rewrite
    also pushed the name indexes out of memory, so they are read back in (at 1,000,000
    accounts, the first 2,000 lookups after an activation had p99 6.5 ms before that).
    """
    await tidy(ctx)
    if ctx.database.dialect != "postgresql":
        return
    async with ctx.database.connection() as connection:
        vacuuming = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await vacuuming.execute(text(f"VACUUM (ANALYZE) {Account.__tablename__}"))
        # Rewriting a million rows pushed the name indexes out of memory.
        await warm_name_index(vacuuming)


async def reindex(ctx: ServiceContext) -> int:
    """Rebuild the word index from every account; how many accounts there are.

    Writes keep the index in step; this is for a bulk load that bypassed them, or
    accounts written by other tools.
    """
    async with transaction(ctx.database) as session:
        await rebuild_of(session)
        count = await session.scalar(select(func.count()).select_from(Account)) or 0
    await _vacuum(ctx)
    return count
