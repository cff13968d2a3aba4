"""Exporting accounts as flat text rows, a batch at a time.

Rows are read with plain column queries in batches of :data:`BATCH` ordered by id, so a
million accounts never sit in memory at once (nor become ORM objects). Fact columns carry
the values an import reads back unchanged, so an exported file re-imports with no changes;
the computed columns (tier, score, reasons, ...) are ignored by imports.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, select

from bot.service import directory
from bot.service import facts as stored_facts
from bot.service.context import ServiceContext
from bot.service.errors import InvalidInput
from bot.service.views import AccountExport
from bot.store.tables import Account, Person
from scoring import CompiledModel, FactValue, FieldDef, Problem
from scoring.engine import criterion_points, fact_env
from scoring.spec import FieldType

BATCH = 5_000
# A cell a spreadsheet would run as a formula, behind any quotes already there.
_FORMULA = re.compile(r"'*[=+\-@\t\r]")
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
    if tier is not None:
        tier = tier_named(model, tier)
    columns = (*ACCOUNT_COLUMNS, *COMPUTED_COLUMNS, *model.fields)
    return AccountExport(columns, _batches(ctx, model, people, tier, owner_id))


def tier_named(model: CompiledModel, text: str) -> str:
    """The model's tier called ``text``, or ignoring case when only one tier is: tiers
    are upper-case letters, but people type ``--tier a``."""
    if model.tier(text) is not None:
        return text
    folded = [name for name in model.tier_names if name.casefold() == text.casefold()]
    if len(folded) == 1:
        return folded[0]
    known = ", ".join(model.tier_names)
    raise InvalidInput("export", [Problem("tier", f"unknown tier {text!r} (tiers: {known})")])


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
        inert(row.external_id or ""),
        inert(row.name),
        inert(people.get(row.owner_id, "") if row.owner_id is not None else ""),
        inert("; ".join(row.aliases)),
        row.lifecycle_stage.value,
        row.tier or "",
        f"{row.score:.2f}" if row.score is not None else "",
        row.scored_tier or "",
        row.override_tier or "",
        row.override_until.isoformat() if row.override_until else "",
        inert(reasons(model, facts, today)),
        (row.qualification or {}).get("grade", ""),
        *(_fact_cell(field, facts.get(name)) for name, field in model.fields.items()),
    )


def inert(text: str) -> str:
    """``text`` as a spreadsheet shows it but never runs it.

    Excel and LibreOffice read a cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab
    or carriage return before one) as a formula, so a name like ``=HYPERLINK(...)``
    typed in a CRM would run on the desk of whoever opens the export. A leading ``'``
    makes such a cell text. Text that already starts with quotes before one of those
    characters gets one more quote, so that an importer removing exactly one leading
    quote from a cell of quotes then one of those characters (:func:`live`) reads
    every cell back unchanged.
    """
    return f"'{text}" if _FORMULA.match(text) else text


def live(cell: str) -> str:
    """What :func:`inert` was given: ``cell`` without the one quote it added."""
    return cell[1:] if cell.startswith("'") and _FORMULA.match(cell, 1) else cell


def _fact_cell(field: FieldDef, value: FactValue | None) -> str:
    """Choices are text anyone may have typed; numbers (``-5``) stay numbers."""
    text = cell(field, value)
    return inert(text) if field.type is FieldType.CHOICE else text


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
