"""Undo: walk an account back one recorded change at a time, using the audit log's ``before``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.service import accounts, audit
from bot.service.actor import Actor
from bot.service.changes import Before, record_move
from bot.service.context import ServiceContext, retry_on_conflict, transaction
from bot.service.errors import NothingToUndo, UndoConflict
from bot.service.grading import (
    Override,
    apply_score,
    history_row,
    score_account,
    set_override,
    snapshot,
)
from bot.service.permissions import require_editor, require_manager
from bot.service.reasons import score_reasons
from bot.service.views import UndoOutcome
from bot.store.enums import ScoreCause
from bot.store.tables import Account, AuditEntry
from scoring import CompiledModel, ScoreResult

UNDO = "undo"
_FACT_ACTIONS = frozenset({"update_facts"})
_OVERRIDE_ACTIONS = frozenset({"override", "clear_override"})


async def undo_last(ctx: ServiceContext, actor: Actor, account_id: int) -> UndoOutcome:
    return await retry_on_conflict(lambda: _undo(ctx, actor, account_id))


async def _undo(ctx: ServiceContext, actor: Actor, account_id: int) -> UndoOutcome:
    async with transaction(ctx.database) as session:
        account = await accounts.load(session, account_id)
        newest_first = await audit.account_entries(session, account.id)
        entry = latest_undoable(newest_first)
        if entry is None or entry.before is None:
            raise NothingToUndo(account.name)
        _permission(ctx, actor, account, entry.action)
        await _refuse_to_overwrite_later_changes(session, account, entry, newest_first)
        model = (await ctx.models.active(session)).model
        now, before, seen = ctx.clock.now(), snapshot(account), Before.of(account)
        old_result = score_account(ctx, model, account)
        _restore(account, entry)
        result = score_account(ctx, model, account, previous=entry.before.get("scored_tier"))
        apply_score(account, result, now)
        await session.flush()
        after = snapshot(account) | {"undoes": entry.id, "undone_action": entry.action}
        audit.record(
            session, actor, UNDO, (audit.ACCOUNT, account.id), at=now, before=before, after=after
        )
        session.add(history_row(account, ScoreCause.UNDO, now))
        await record_move(
            session,
            ctx,
            account,
            seen,
            cause=ScoreCause.UNDO,
            actor=actor,
            reasons=_reasons(entry, model, old_result, result),
            model=model,
        )
        card = await accounts.build_card(session, ctx, account, model, result)
    return UndoOutcome(card, entry.action, entry.at)


def latest_undoable(newest_first: Sequence[AuditEntry]) -> AuditEntry | None:
    """The newest fact or override change that no later undo has reverted yet."""
    undone = {e.after.get("undoes") for e in newest_first if e.action == UNDO and e.after}
    undoable = _FACT_ACTIONS | _OVERRIDE_ACTIONS
    return next((e for e in newest_first if e.action in undoable and e.id not in undone), None)


def _permission(ctx: ServiceContext, actor: Actor, account: Account, action: str) -> None:
    if action in _OVERRIDE_ACTIONS:
        require_manager(actor)
    else:
        require_editor(actor, account.owner_id, reps_update_all=ctx.reps_update_all)


def _touched(entry: AuditEntry) -> dict[str, Any]:
    """The facts a change touched, each with the value it wrote (None: it removed it)."""
    old = (entry.before or {}).get("facts") or {}
    new = (entry.after or {}).get("facts") or {}
    return {name: new.get(name) for name in {*old, *new} if old.get(name) != new.get(name)}


async def _refuse_to_overwrite_later_changes(
    session: AsyncSession,
    account: Account,
    entry: AuditEntry,
    newest_first: Sequence[AuditEntry],
) -> None:
    """Undo puts back what a change replaced only where the change's values still stand:
    a fact changed since (by an import, say, which undo does not walk back) is kept, and
    the undo refused, rather than overwritten with something older still."""
    if entry.action not in _FACT_ACTIONS:
        return
    moved = sorted(
        name
        for name, written in _touched(entry).items()
        if (account.facts or {}).get(name) != written
    )
    if not moved:
        return
    later = [e for e in newest_first if e.id > entry.id and set(_touched(e)) & set(moved)]
    names = await audit.actor_names(session, later[:1])
    raise UndoConflict(account.name, moved, names[0] if names else None)


def _restore(account: Account, entry: AuditEntry) -> None:
    before = entry.before or {}
    if entry.action in _OVERRIDE_ACTIONS:
        set_override(account, Override.from_document(before.get("override") or {}))
        return
    # Only the facts this change touched: later changes to other facts stay.
    old = before.get("facts") or {}
    facts = dict(account.facts)
    for name in _touched(entry):
        _put(facts, name, old.get(name))
    account.facts = facts


def _put(facts: dict[str, Any], name: str, value: Any) -> None:
    if value is None:
        facts.pop(name, None)
    else:
        facts[name] = value


def _reasons(
    entry: AuditEntry, model: CompiledModel, old: ScoreResult, new: ScoreResult
) -> list[str]:
    if entry.action in _OVERRIDE_ACTIONS:
        return [f"Undid {entry.action.replace('_', ' ')}"]
    return score_reasons(model, old, new)
