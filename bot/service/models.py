"""Model lifecycle: what is active, what a new model would change, and activating one."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.service import audit, rescoring, search_index
from bot.service import facts as stored_facts
from bot.service.actor import Actor
from bot.service.context import ServiceContext, transaction
from bot.service.errors import InvalidInput
from bot.service.permissions import require_admin
from bot.service.registry import ActiveModel, install
from bot.service.rescoring import rescore_all
from bot.service.views import ActivationReport, ModelInfo
from bot.store.tables import Account, ModelVersion
from scoring import CompiledModel, ImpactReport, ModelError, Problem, model_impact

Progress = Callable[[int, int], None]


def model_info(active: ActiveModel) -> ModelInfo:
    model = active.model
    return ModelInfo(model.name, model.version, model.title.get(), active.activated_at)


async def current_info(ctx: ServiceContext) -> ModelInfo:
    async with ctx.database.session() as session:
        return model_info(await ctx.models.active(session))


def compile_text(ctx: ServiceContext, text: str, source: str) -> CompiledModel:
    try:
        return ctx.models.compiled.compile(text, source)
    except ModelError as error:
        raise InvalidInput(error.source, error.problems) from None


async def preview_model(ctx: ServiceContext, text: str, source: str) -> ImpactReport:
    """Which accounts would change tier under the model in ``text``; changes nothing."""
    model = compile_text(ctx, text, source)
    reports = []
    async with ctx.database.session() as session:
        async for rows in _batches(session):
            reports.append(
                model_impact(
                    model,
                    [row.name for row in rows],
                    stored_facts.columns(model, [row.facts for row in rows]),
                    [row.scored_tier for row in rows],
                    today=ctx.today(),
                )
            )
    return combine(reports)


async def _batches(
    session: AsyncSession,
) -> AsyncIterator[Sequence[Row[tuple[int, str, dict[str, object], str | None]]]]:
    after = 0
    while True:
        query = (
            select(Account.id, Account.name, Account.facts, Account.scored_tier)
            .where(Account.id > after)
            .order_by(Account.id)
            .limit(rescoring.BATCH)
        )
        rows = (await session.execute(query)).all()
        if not rows:
            return
        yield rows
        after = rows[-1].id


def combine(reports: Sequence[ImpactReport]) -> ImpactReport:
    before: Counter[str] = Counter()
    after: Counter[str] = Counter()
    for report in reports:
        before.update(report.before)
        after.update(report.after)
    return ImpactReport(
        accounts=sum(r.accounts for r in reports),
        up=sum(r.up for r in reports),
        down=sum(r.down for r in reports),
        changed=sum(r.changed for r in reports),
        unchanged=sum(r.unchanged for r in reports),
        moves=tuple(move for r in reports for move in r.moves),
        before=dict(before),
        after=dict(after),
    )


async def activate_model(
    ctx: ServiceContext, actor: Actor, text: str, source: str, progress: Progress | None
) -> ActivationReport:
    """Store and activate the model in ``text``, then rescore every account with it."""
    require_admin(actor)
    model = compile_text(ctx, text, source)
    started = time.perf_counter()
    active = await _activate(ctx, actor, model, text, source)
    tally = await rescore_all(ctx, actor, model, progress)
    # Rewriting every row leaves PostgreSQL's name index a long queue to read per search
    # and the table full of dead row versions.
    await search_index.after_rewrite(ctx)
    return ActivationReport(
        accounts=tally.accounts,
        changed=tally.changed,
        up=tally.up,
        down=tally.down,
        seconds=time.perf_counter() - started,
        model=model_info(active),
    )


async def _activate(
    ctx: ServiceContext, actor: Actor, model: CompiledModel, text: str, source: str
) -> ActiveModel:
    now = ctx.clock.now()
    async with transaction(ctx.database) as session:
        previous = (await ctx.models.active(session)).model
        await _refuse_stale_version(session, model, text)
        await install(session, model, text, now)
        audit.record(
            session,
            actor,
            "activate_model",
            (audit.MODEL, f"{model.name}:{model.version}"),
            at=now,
            before={"name": previous.name, "version": previous.version},
            after={"name": model.name, "version": model.version, "source": source},
        )
    ctx.models.forget()  # this process reads the new model at once; others within seconds
    return ActiveModel(model, now)


async def _refuse_stale_version(session: AsyncSession, model: CompiledModel, text: str) -> None:
    """A version number names one text for good, and new texts need a newer version."""
    stored = (
        await session.execute(
            select(ModelVersion.version, ModelVersion.text).where(ModelVersion.name == model.name)
        )
    ).all()
    same = next((row.text for row in stored if row.version == model.version), None)
    newest = max((row.version for row in stored), default=0)
    if same is not None and same != text:
        problem = f"{model.name} v{model.version} is already stored with other content"
    elif same is None and model.version < newest:
        problem = f"{model.name} v{model.version} is older than the stored v{newest}"
    else:
        return
    raise InvalidInput("model", [Problem("version", f"{problem}; raise the version")])
