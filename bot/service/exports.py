"""Exporting accounts as flat text rows, a batch at a time.

Rows are read with plain column queries in batches of :data:`BATCH` ordered by id, so a
million accounts never sit in memory at once (nor become ORM objects). Fact columns carry
the values an import reads back unchanged, so an exported file re-imports with no changes;
the computed columns (tier, score, reasons, ...) are ignored by imports.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, select

from bot.service import directory
from bot.service import facts as stored_facts
from bot.service.context import ServiceContext
from bot.service.views import AccountExport
from bot.store.tables import Account, Person
from scoring import CompiledModel, FactValue, FieldDef
from scoring.engine import criterion_points, fact_env

BATCH = 5_000
TOP_REASONS = 3
ACCOUNT_COLUMNS = ("external_id", "name", "owner", "aliases", "lifecycle_stage")
COMPUTED_COLUMNS = (
    "tier",
    "score",
    "scored_tier",
    "override",
    "override_until",
    "reasons",
    "qualified",  # a prospect's last qualification grade (A: likely to close within 3 months)
)
_ACCOUNTS = cast(Table, Account.__table__)
_READ = [
    _ACCOUNTS.c[name]
    for name in (
        "id",
        "external_id",
        "name",
        "owner_id",
        "aliases",
        "lifecycle_stage",
        "facts",
        "tier",
        "score",
        "scored_tier",
        "override_tier",
        "override_until",
        "qualification",
    )
]


async def export_accounts(
    ctx: ServiceContext, tier: str | None, owner: str | None
) -> AccountExport:
    """Every account (of ``tier``, of ``owner``): account columns, computed ones, then facts."""
    async with ctx.database.session() as session:
        model = (await ctx.models.active(session)).model
        owner_id = (await directory.find(session, owner)).id if owner else None
        people = {row.id: row.name for row in await session.execute(select(Person.id, Person.name))}
    if tier is not None and model.tier(tier) is None:
        raise stored_facts.unknown_tier(model, tier)
    columns = (*ACCOUNT_COLUMNS, *COMPUTED_COLUMNS, *model.fields)
    return AccountExport(columns, _batches(ctx, model, people, tier, owner_id))


async def _batches(
    ctx: ServiceContext,
    model: CompiledModel,
    people: Mapping[int, str],
    tier: str | None,
    owner_id: int | None,
) -> AsyncIterator[list[tuple[str, ...]]]:
    after, today = 0, ctx.today()
    while True:
        query = select(*_READ).where(_ACCOUNTS.c.id > after)
        if tier is not None:
            query = query.where(_ACCOUNTS.c.tier == tier)
        if owner_id is not None:
            query = query.where(_ACCOUNTS.c.owner_id == owner_id)
        # A short session per batch: a long export must not hold a read open for minutes.
        async with ctx.database.session() as session:
            rows = (await session.execute(query.order_by(_ACCOUNTS.c.id).limit(BATCH))).all()
        if not rows:
            return
        yield [_row(model, people, row, today) for row in rows]
        after = rows[-1].id


def _row(model: CompiledModel, people: Mapping[int, str], row: Any, today: date) -> tuple[str, ...]:
    facts = stored_facts.decode(model, row.facts)
    return (
        row.external_id or "",
        row.name,
        people.get(row.owner_id, "") if row.owner_id is not None else "",
        "; ".join(row.aliases),
        row.lifecycle_stage.value,
        row.tier or "",
        f"{row.score:.2f}" if row.score is not None else "",
        row.scored_tier or "",
        row.override_tier or "",
        row.override_until.isoformat() if row.override_until else "",
        reasons(model, facts, today),
        (row.qualification or {}).get("grade", ""),
        *(cell(field, facts.get(name)) for name, field in model.fields.items()),
    )


def reasons(model: CompiledModel, facts: Mapping[str, FactValue], today: date) -> str:
    """The criteria that earn the most points, best first, as ``label: what (points)``."""
    env = fact_env(model, facts, today)
    earned: list[tuple[float, float, int, str]] = []
    for criterion in model.criteria:
        points, band = criterion_points(criterion, env[criterion.field])
        if points > 0:
            if band is not None:
                what = band.label.get() if band.label else band.describe()
            else:
                field = model.fields[criterion.field]
                what = cell(field, facts.get(criterion.field, field.default))
            text = f"{criterion.label.get()}: {what} ({points:.1f}/{criterion.weight:g})"
            earned.append((-points, -criterion.weight, len(earned), text))
    return "; ".join(text for *_, text in sorted(earned)[:TOP_REASONS])


def cell(field: FieldDef, value: FactValue | None) -> str:
    """A fact as import reads it back: whole numbers without ".0", dates as ISO, yes/no."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        # The shortest text that reads back as this float, without an exponent, which
        # spreadsheets and importers read as text: 1e-05 is written 0.00001.
        return format(Decimal(repr(value)), "f")
    if isinstance(value, date):
        return value.isoformat()
    return value
