"""Handle each platform delivery once: Slack and Telegram retry when they hear nothing back."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from bot.service.context import ServiceContext, transaction
from bot.service.dialect import insert_for
from bot.store.enums import ChatPlatform
from bot.store.tables import ProcessedDelivery


async def first_delivery(ctx: ServiceContext, platform: str, delivery_id: str) -> bool:
    """True the first time a delivery is seen, False for every repeat (even concurrent ones)."""
    async with transaction(ctx.database) as session:
        insert = insert_for(session, ProcessedDelivery).values(
            platform=ChatPlatform(platform), delivery_id=delivery_id, seen_at=ctx.clock.now()
        )
        # The primary key settles races: exactly one insert returns a row.
        inserted = await session.scalar(
            insert.on_conflict_do_nothing().returning(ProcessedDelivery.delivery_id)
        )
    return inserted is not None


async def prune_deliveries(ctx: ServiceContext, older_than: timedelta) -> int:
    """Forget deliveries seen longer ago than platforms retry; returns how many."""
    cutoff = ctx.clock.now() - older_than
    async with transaction(ctx.database) as session:
        result = await session.execute(
            delete(ProcessedDelivery).where(ProcessedDelivery.seen_at < cutoff)
        )
    return int(getattr(result, "rowcount", 0) or 0)
