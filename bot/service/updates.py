"""Changing an account's facts (and marking it reviewed): validate, lock, rescore, record."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from bot.service import accounts, audit
from bot.service import facts as stored_facts
from bot.service.actor import Actor
from bot.service.changes import Before, record_move
from bot.service.conflicts import conflict, conflict_in
from bot.service.context import ServiceContext, retry_on_conflict, transaction
from bot.service.grading import apply_score, history_row, score_account, snapshot
from bot.service.permissions import require_editor
from bot.service.reasons import score_reasons
from bot.service.views import AccountSummary, UpdateOutcome
from bot.store.enums import ScoreCause
from bot.store.errors import ConcurrentUpdateError
from bot.store.tables import Account
from scoring import CompiledModel, ScoreResult


async def update_facts(
    ctx: ServiceContext,
    actor: Actor,
    account_id: int,
    raw: Mapping[str, object],
    expected_version: int | None,
) -> UpdateOutcome:
    """Apply ``raw`` (field -> typed text or value; None or "" clears) and rescore.

    Without ``expected_version`` a concurrent save makes the whole update run again on
    the fresh row, so both changes land. With it, the caller confirmed what they saw:
    any change since then raises EditConflict instead.
    """
    if expected_version is None:
        return await retry_on_conflict(lambda: _update(ctx, actor, account_id, raw, None))
    try:
        return await _update(ctx, actor, account_id, raw, expected_version)
    except ConcurrentUpdateError:
        raise await conflict(ctx, account_id, expected_version) from None


async def _update(
    ctx: ServiceContext,
    actor: Actor,
    account_id: int,
    raw: Mapping[str, object],
    expected_version: int | None,
) -> UpdateOutcome:
    async with transaction(ctx.database) as session:
        # Read the row before the model: an activation committed after this read
        # bumps the row's version, so a save with the older model cannot slip in.
        account = await accounts.load(session, account_id)
        require_editor(actor, account.owner_id, reps_update_all=ctx.reps_update_all)
        model = (await ctx.models.active(session)).model
        changes = stored_facts.validate(model, raw, ctx.today())
        if expected_version is not None and account.version != expected_version:
            raise await conflict_in(session, account, expected_version)
        before = Before.of(account)
        old_result = score_account(ctx, model, account)
        merged = stored_facts.merge(account.facts, changes)
        changed = stored_facts.differences(model, account.facts, merged)
        result = old_result
        if changed:
            result = await _save(session, ctx, actor, account, model, merged, old_result)
        card = await accounts.build_card(session, ctx, account, model, result)
    return UpdateOutcome(card, changed, before.score, before.tier)


async def _save(
    session: AsyncSession,
    ctx: ServiceContext,
    actor: Actor,
    account: Account,
    model: CompiledModel,
    merged: dict[str, object],
    old_result: ScoreResult,
) -> ScoreResult:
    now, before, seen = ctx.clock.now(), snapshot(account), Before.of(account)
    account.facts = merged
    result = score_account(ctx, model, account)
    apply_score(account, result, now)
    # Flushing runs the version check, so a lost race fails before anything else is written.
    await session.flush()
    session.add(history_row(account, ScoreCause.UPDATE, now))
    target = (audit.ACCOUNT, account.id)
    audit.record(
        session, actor, "update_facts", target, at=now, before=before, after=snapshot(account)
    )
    reasons = score_reasons(model, old_result, result)
    await record_move(
        session,
        ctx,
        account,
        seen,
        cause=ScoreCause.UPDATE,
        actor=actor,
        reasons=reasons,
        model=model,
    )
    return result


async def mark_reviewed(ctx: ServiceContext, actor: Actor, account_id: int) -> AccountSummary:
    return await retry_on_conflict(lambda: _mark_reviewed(ctx, actor, account_id))


async def _mark_reviewed(ctx: ServiceContext, actor: Actor, account_id: int) -> AccountSummary:
    async with transaction(ctx.database) as session:
        account = await accounts.load(session, account_id)
        require_editor(actor, account.owner_id, reps_update_all=ctx.reps_update_all)
        now, last = ctx.clock.now(), account.last_reviewed_at
        account.last_reviewed_at = account.updated_at = now
        await session.flush()
        audit.record(
            session,
            actor,
            "mark_reviewed",
            (audit.ACCOUNT, account.id),
            at=now,
            before={"last_reviewed_at": last.isoformat() if last else None},
            after={"last_reviewed_at": now.isoformat(), "version": account.version},
        )
        return await accounts.summary(session, account)
