"""Re-grading as time passes.

A dated fact ages every day: an account whose last order was five months ago in
spring is seven months ago in summer, and scores lower today than when it was last
scored, although nobody changed anything. So once a day every account last scored by
the active model is scored again as of today, and those whose score or tier moved are
written as an activation writes them: new scores, history, a tier change with its
reasons and alerts, all in one transaction per batch. Models without dated facts
cannot age, and are left alone.

The daily pass runs once per day (UTC) however many replicas run: the first to insert
the day's row in ``scheduled_runs`` runs it. A pass cut short (the process stopped)
leaves every batch it wrote complete; the next day's pass re-grades the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from bot.service import audit
from bot.service import facts as stored_facts
from bot.service.actor import Actor
from bot.service.context import ServiceContext, transaction
from bot.service.dialect import insert_for
from bot.service.permissions import require_admin
from bot.service.reasons import value_text
from bot.service.rescoring import Progress, Purpose, Reasons, Tally, rescore_all
from bot.store.enums import ScoreCause
from bot.store.tables import ScheduledRun
from scoring import CompiledModel, CriterionResult, score
from scoring.spec import FieldType

REGRADE_JOB = "regrade"


def ages(model: CompiledModel) -> bool:
    """Whether time alone can change a score of ``model``: it reads a date."""
    return any(field.type is FieldType.DATE for field in model.fields.values())


async def regrade(ctx: ServiceContext, actor: Actor, progress: Progress | None = None) -> Tally:
    """Score every account as of today; write, record and announce those that moved."""
    require_admin(actor)
    async with ctx.database.session() as session:
        model = (await ctx.models.active(session)).model
    if not ages(model):
        return Tally()
    today = ctx.today()
    purpose = Purpose(ScoreCause.AGING, every_account=False, reasons=_time_passed(today))
    tally = await rescore_all(ctx, actor, model, progress, purpose)
    async with transaction(ctx.database) as session:
        audit.record(
            session,
            actor,
            "regrade",
            (audit.MODEL, f"{model.name}:{model.version}"),
            at=ctx.clock.now(),
            after={
                "as_of": today.isoformat(),
                "accounts": tally.accounts,
                "rescored": tally.rescored,
                "changed": tally.changed,
                "up": tally.up,
                "down": tally.down,
            },
        )
    return tally


async def regrade_once_today(ctx: ServiceContext, worker_id: str) -> Tally | None:
    """:func:`regrade` if no process has today; None when one has."""
    claim = {
        "job": REGRADE_JOB,
        "period": ctx.today().isoformat(),
        "claimed_at": ctx.clock.now(),
        "claimed_by": worker_id,
    }
    async with transaction(ctx.database) as session:
        won = await session.scalar(
            insert_for(session, ScheduledRun)
            .values(**claim)
            .on_conflict_do_nothing()
            .returning(ScheduledRun.period)
        )
    if won is None:
        return None
    return await regrade(ctx, Actor.system())


def _time_passed(today: date) -> Reasons:
    """Why an account moved with time: its dated facts as they stand today."""

    def reasons(
        model: CompiledModel, facts: Mapping[str, Any], old: float | None, new: float
    ) -> list[str]:
        result = score(model, stored_facts.decode(model, facts), today=today)
        dated = [
            _dated(model, criterion)
            for criterion in result.criteria
            if model.fields[criterion.field].type is FieldType.DATE and not criterion.missing
        ]
        before = f"{old:.1f}" if old is not None else "none"
        return [*dated, f"Score {before} -> {new:.1f}"]

    return reasons


def _dated(model: CompiledModel, criterion: CriterionResult) -> str:
    """e.g. "Time passed: Last order 2026-05-29, now 6 to 12 months ago (12/40)"."""
    value = value_text(model.fields[criterion.field], criterion)
    band = f", now {criterion.band.label.get()}" if criterion.band and criterion.band.label else ""
    points = f"{criterion.points:g}/{criterion.max_points:g}"
    return f"Time passed: {criterion.label.get()} {value}{band} ({points})"
