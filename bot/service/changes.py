"""Recording a move of the visible tier: the tier change row and its alerts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.service.actor import Actor
from bot.service.context import ServiceContext
from bot.service.outbox import Alert, queue_alerts
from bot.store.enums import ScoreCause
from bot.store.tables import Account, TierChange
from scoring import CompiledModel


@dataclass(frozen=True, slots=True)
class Before:
    """What people saw before the change."""

    tier: str | None
    score: float | None

    @classmethod
    def of(cls, account: Account) -> Before:
        return cls(account.tier, account.score)


async def record_move(
    session: AsyncSession,
    ctx: ServiceContext,
    account: Account,
    before: Before,
    *,
    cause: ScoreCause,
    actor: Actor,
    reasons: Sequence[str],
    model: CompiledModel,
    notify: bool = True,
) -> TierChange | None:
    """Write a tier change (and queue its alerts) if the visible tier moved."""
    if account.tier is None or account.tier == before.tier:
        return None
    change = TierChange(
        account_id=account.id,
        changed_at=ctx.clock.now(),
        old_tier=before.tier,
        new_tier=account.tier,
        old_score=before.score,
        new_score=account.score,
        cause=cause,
        actor_id=actor.person_id,
        reasons=list(reasons),
    )
    session.add(change)
    await session.flush()
    if notify:
        alert = Alert(change, account.name, account.owner_id, actor.name)
        await queue_alerts(
            session, [alert], routes=ctx.alert_routes, model=model, now=ctx.clock.now()
        )
    return change
