"""Undo: walk an account back one recorded change at a time, using the audit log's ``before``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.service import accounts, audit
from bot.service.actor import Actor
from bot.service.changes import Before, record_move
from bot.service.context import ServiceContext, retry_on_conflict, transaction
from bot.service.errors import NothingToUndo
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
        entry = latest_undoable(await audit.account_entries(session, account.id))
        if entry is None or entry.before is None:
            raise NothingToUndo(account.name)
        _permission(ctx, actor, account, entry.action)
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


def _restore(account: Account, entry: AuditEntry) -> None:
    before, after = entry.before or {}, entry.after or {}
    if entry.action in _OVERRIDE_ACTIONS:
        set_override(account, Override.from_document(before.get("override") or {}))
        return
    # Only the facts this change touched: later changes to other facts stay.
    old, new = before.get("facts") or {}, after.get("facts") or {}
    facts = dict(account.facts)
    for name in {*old, *new}:
        if old.get(name) == new.get(name):
            continue
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
