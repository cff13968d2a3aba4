"""Manual overrides of the tier: set by a manager, cleared by hand or when they expire."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.service import accounts, audit
from bot.service.actor import Actor
from bot.service.changes import Before, record_move
from bot.service.context import ServiceContext, retry_on_conflict, transaction
from bot.service.errors import InvalidInput
from bot.service.facts import unknown_tier
from bot.service.grading import (
    NO_OVERRIDE,
    Override,
    history_row,
    score_account,
    set_override,
    show_tier,
    snapshot,
)
from bot.service.permissions import require_manager
from bot.service.views import Card
from bot.store.enums import ScoreCause
from bot.store.tables import Account
from scoring import CompiledModel, Problem

OVERRIDE_REMOVED = "Override removed"
OVERRIDE_EXPIRED = "Override expired"


async def override(
    ctx: ServiceContext,
    actor: Actor,
    account_id: int,
    tier: str,
    reason: str,
    until: datetime | None,
) -> Card:
    require_manager(actor)
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidInput("override", [Problem("reason", "say why the tier is overridden")])
    if until is not None and until <= ctx.clock.now():
        raise InvalidInput("override", [Problem("until", "must be in the future")])
    return await retry_on_conflict(lambda: _override(ctx, actor, account_id, tier, reason, until))


async def _override(
    ctx: ServiceContext,
    actor: Actor,
    account_id: int,
    tier: str,
    reason: str,
    until: datetime | None,
) -> Card:
    async with transaction(ctx.database) as session:
        account = await accounts.load(session, account_id)
        model = (await ctx.models.active(session)).model
        name = _tier_name(model, tier)
        await _change(
            session,
            ctx,
            actor,
            account,
            model,
            Override(name, reason, actor.person_id, until),
            action="override",
            reasons=[reason],
        )
        return await accounts.build_card(
            session, ctx, account, model, score_account(ctx, model, account)
        )


async def clear_override(ctx: ServiceContext, actor: Actor, account_id: int) -> Card:
    require_manager(actor)
    return await retry_on_conflict(lambda: _clear(ctx, actor, account_id))


async def _clear(ctx: ServiceContext, actor: Actor, account_id: int) -> Card:
    async with transaction(ctx.database) as session:
        account = await accounts.load(session, account_id)
        model = (await ctx.models.active(session)).model
        if account.override_tier is not None:
            await _change(
                session,
                ctx,
                actor,
                account,
                model,
                NO_OVERRIDE,
                action="clear_override",
                reasons=[OVERRIDE_REMOVED],
            )
        return await accounts.build_card(
            session, ctx, account, model, score_account(ctx, model, account)
        )


async def expire_overrides(ctx: ServiceContext) -> int:
    """End every override whose time is up; returns how many ended."""
    return await retry_on_conflict(lambda: _expire(ctx))


async def _expire(ctx: ServiceContext) -> int:
    system = Actor.system()
    async with transaction(ctx.database) as session:
        due = (
            await session.scalars(
                select(Account).where(
                    Account.override_tier.is_not(None), Account.override_until <= ctx.clock.now()
                )
            )
        ).all()
        model = (await ctx.models.active(session)).model
        for account in due:
            await _change(
                session,
                ctx,
                system,
                account,
                model,
                NO_OVERRIDE,
                action="override_expired",
                reasons=[OVERRIDE_EXPIRED],
                cause=ScoreCause.EXPIRY,
            )
        return len(due)


async def _change(
    session: AsyncSession,
    ctx: ServiceContext,
    actor: Actor,
    account: Account,
    model: CompiledModel,
    override: Override,
    *,
    action: str,
    reasons: list[str],
    cause: ScoreCause = ScoreCause.OVERRIDE,
) -> None:
    now, before, seen = ctx.clock.now(), snapshot(account), Before.of(account)
    set_override(account, override)
    show_tier(account, now)
    await session.flush()
    audit.record(
        session,
        actor,
        action,
        (audit.ACCOUNT, account.id),
        at=now,
        before=before,
        after=snapshot(account),
    )
    if account.tier != seen.tier:
        session.add(history_row(account, cause, now))
    await record_move(
        session, ctx, account, seen, cause=cause, actor=actor, reasons=reasons, model=model
    )


def _tier_name(model: CompiledModel, tier: str) -> str:
    wanted = tier.strip().casefold()
    found = next((name for name in model.tier_names if name.casefold() == wanted), None)
    if found is None:
        raise unknown_tier(model, tier)
    return found
