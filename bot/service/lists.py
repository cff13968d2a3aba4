"""Lists for people: my accounts by tier, movers, what to review, tier counts, history."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.service import accounts, convert
from bot.service.accounts import READ_MODEL_AGE
from bot.service.context import ServiceContext
from bot.service.grading import score_account
from bot.service.views import AccountSummary, ReviewItem, TierChangeView
from bot.store.tables import Account, TierChange
from scoring import CompiledModel

NO_TIER = "-"


async def accounts_by_owner(ctx: ServiceContext, person_id: int) -> dict[str, list[AccountSummary]]:
    """The person's accounts per tier, best tier first, highest score first within a tier."""
    async with ctx.database.session() as session:
        model = (await ctx.models.active(session, max_age=READ_MODEL_AGE)).model
        query = (
            convert.summaries_query()
            .where(Account.owner_id == person_id)
            .order_by(Account.score.desc().nulls_last(), Account.name)
        )
        rows = (await session.execute(query)).all()
    grouped: dict[str, list[AccountSummary]] = {}
    for account, owner in rows:
        grouped.setdefault(account.tier or NO_TIER, []).append(
            convert.account_summary(account, owner)
        )
    return {tier: grouped[tier] for tier in by_rank(model, grouped)}


async def movers(
    ctx: ServiceContext, since: datetime, owner_id: int | None, limit: int
) -> list[TierChangeView]:
    query = convert.tier_changes_query().where(TierChange.changed_at >= since)
    if owner_id is not None:
        query = query.where(Account.owner_id == owner_id)
    query = query.order_by(TierChange.changed_at.desc(), TierChange.id.desc()).limit(limit)
    async with ctx.database.connection() as connection:
        return [convert.tier_change_view(row) for row in await connection.execute(query)]


async def history(ctx: ServiceContext, account_id: int, limit: int) -> list[TierChangeView]:
    async with ctx.database.session() as session:
        await accounts.load(session, account_id)
        return list(await accounts.recent_changes(session, account_id, limit))


async def tier_distribution(ctx: ServiceContext, owner_id: int | None) -> dict[str, int]:
    query = select(Account.tier, func.count()).group_by(Account.tier)
    if owner_id is not None:
        query = query.where(Account.owner_id == owner_id)
    async with ctx.database.session() as session:
        model = (await ctx.models.active(session, max_age=READ_MODEL_AGE)).model
        counts = {tier or NO_TIER: count for tier, count in await session.execute(query)}
    return {tier: counts[tier] for tier in by_rank(model, counts)}


async def review_list(ctx: ServiceContext, person_id: int, near_points: float) -> list[ReviewItem]:
    """Accounts due a review (older than the model's interval) or close to dropping a tier."""
    async with ctx.database.session() as session:
        model = (await ctx.models.active(session, max_age=READ_MODEL_AGE)).model
        items = [
            item
            for account, owner in await _owned(session, person_id)
            if (item := _review_item(ctx, model, account, owner, near_points)) is not None
        ]
    items.sort(key=_review_order)
    return items


def _review_order(item: ReviewItem) -> tuple[bool, int, float, str]:
    """Most overdue first, then the accounts closest to dropping a tier."""
    overdue, margin = item.overdue_days, item.margin_below
    return (
        overdue is None,
        -(overdue or 0),
        margin if margin is not None else float("inf"),
        item.account.name,
    )


async def _owned(session: AsyncSession, person_id: int) -> list[tuple[Account, str | None]]:
    rows = await session.execute(convert.summaries_query().where(Account.owner_id == person_id))
    return [(account, owner) for account, owner in rows]


def _review_item(
    ctx: ServiceContext, model: CompiledModel, account: Account, owner: str | None, near: float
) -> ReviewItem | None:
    now = ctx.clock.now()
    due = (account.last_reviewed_at or account.created_at) + timedelta(days=model.review_every_days)
    overdue = (now - due).days if now >= due else None
    margin = score_account(ctx, model, account).margin_below
    close = margin if margin is not None and margin <= near else None
    if overdue is None and close is None:
        return None
    return ReviewItem(convert.account_summary(account, owner), overdue, close)


def by_rank(model: CompiledModel, tiers: Iterable[str]) -> list[str]:
    """Tier names best first; names the model does not know (and "no tier") last."""

    def rank(tier: str) -> tuple[int, str]:
        found = model.tier_rank(tier)
        return (len(model.tiers) if found is None else found, tier)

    return sorted(tiers, key=rank)
