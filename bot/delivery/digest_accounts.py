"""The account side of a digest: one pass over ``accounts`` into a working set, then
small aggregates over that.

Reading a fact out of ``accounts.facts`` means parsing JSON, which on SQLite costs
more than reading the rest of the row. So the accounts are read once, into a
temporary table holding only what a digest needs (owner, tier, score, near-boundary
and overdue flags, the revenue fact); the totals, each rep's load, the examples and
the revenue concentration are then aggregates over that narrow table. Nothing loops
over accounts in Python. The table lives in the session's connection and is dropped
before the session ends.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, case, func, literal, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.schema import CreateTableAs, DropTable

from bot.delivery.digest_data import Concentration, NearItem, RepLoad, TeamLoad, TierCounts
from bot.store.tables import Account, Person
from scoring import CompiledModel
from scoring.spec import FieldType

EXAMPLES = 5
TOP_SHARE = 0.2  # the "20" of the 80/20 rule
_WORKING_SET = "tierbot_digest_accounts"


@dataclass(frozen=True, slots=True)
class AccountOptions:
    near_points: float
    top_tier_limit: int
    overload_factor: float
    shown_reps: int
    revenue_field: str


@dataclass(frozen=True, slots=True)
class Totals:
    counts: TierCounts
    near: TierCounts
    overdue: TierCounts
    ungraded: int
    unassigned: int
    revenue_count: int
    revenue_sum: float
    revenue_max: float | None


def thresholds(model: CompiledModel) -> dict[str, float]:
    """Tiers that are a plain minimum score, and that minimum."""
    return {t.name: t.min for t in model.tiers if t.min is not None}


def rank(model: CompiledModel, column: Any) -> Any:
    return case({t.name: t.rank for t in model.tiers}, value=column, else_=None)


def revenue_field(model: CompiledModel, preferred: str) -> str | None:
    """The fact revenue concentration is measured on: ``preferred``, else the first money field."""
    if preferred in model.fields:
        return preferred
    money = (name for name, f in model.fields.items() if f.type is FieldType.MONEY)
    return next(money, None)


def _near_boundary(model: CompiledModel, points: float) -> ColumnElement[bool]:
    terms = [
        and_(Account.tier == name, Account.score >= low, Account.score < low + points)
        for name, low in thresholds(model).items()
    ]
    return or_(*terms) if terms else literal(False)


@asynccontextmanager
async def working_set(
    session: AsyncSession, model: CompiledModel, now: datetime, options: AccountOptions
) -> AsyncIterator[Table]:
    """The temporary table of every account's digest columns, for the ``with`` block."""
    field = revenue_field(model, options.revenue_field)
    revenue = Account.facts[field].as_float() if field else literal(None)
    reviewed = func.coalesce(Account.last_reviewed_at, Account.created_at)
    query = select(
        Account.id,
        Account.owner_id,
        Account.tier,
        Account.score,
        case((_near_boundary(model, options.near_points), 1), else_=0).label("near"),
        case((reviewed < now - timedelta(days=model.review_every_days), 1), else_=0)
        .label("overdue"),
        revenue.label("revenue"),
    )
    create = CreateTableAs(query, _WORKING_SET, temporary=True)
    drop = DropTable(create.table, if_exists=True)
    if session.get_bind().dialect.name == "sqlite":
        # Temporary tables in memory rather than a temporary file: the working set is
        # tens of megabytes for a million accounts. The setting stays with the pooled
        # connection, where it only affects temporary tables and sorts.
        await session.execute(text("PRAGMA temp_store = MEMORY"))
    await session.execute(drop)  # left over from a run that died on this connection
    await session.execute(create)
    try:
        yield create.table
    finally:
        await session.execute(drop)


async def totals(session: AsyncSession, accounts: Table, tiers: Sequence[str]) -> Totals:
    """Counts, near a boundary and overdue per tier, and the revenue totals.

    One narrow pass per tier: cheaper on SQLite than one pass evaluating a CASE per
    tier and measure for every row.
    """
    c = accounts.c
    counts, near, overdue = {}, {}, {}
    for tier in tiers:
        row = (await session.execute(
            select(func.count(), func.sum(c.near), func.sum(c.overdue)).where(c.tier == tier)
        )).one()
        counts[tier], near[tier], overdue[tier] = (int(value or 0) for value in row)
    ungraded, unassigned, revenue_count, revenue_sum, revenue_max = (await session.execute(
        select(func.sum(case((c.tier.is_(None), 1), else_=0)),
               func.sum(case((c.owner_id.is_(None), 1), else_=0)),
               func.count(c.revenue), func.sum(c.revenue), func.max(c.revenue))
    )).one()
    return Totals(
        counts, near, overdue, int(ungraded or 0), int(unassigned or 0),
        int(revenue_count or 0), float(revenue_sum or 0.0),
        float(revenue_max) if revenue_max is not None else None,
    )


async def team(
    session: AsyncSession, accounts: Table, model: CompiledModel, unassigned: int,
    options: AccountOptions,
) -> TeamLoad:
    """Each rep's load: the heavy ones (too many top-tier accounts, or far above the median)."""
    top = model.tiers[0].name
    # Totals come from the index on accounts.owner_id alone; the top tier needs the tier.
    totals = _per_owner(await session.execute(
        select(Account.owner_id, func.count())
        .where(Account.owner_id.is_not(None)).group_by(Account.owner_id)
    ))
    top_counts = _per_owner(await session.execute(
        select(accounts.c.owner_id, func.count())
        .where(accounts.c.tier == top, accounts.c.owner_id.is_not(None))
        .group_by(accounts.c.owner_id)
    ))
    median = float(statistics.median(totals.values())) if totals else 0.0
    heavy = sorted(
        (owner for owner, total in totals.items()
         if top_counts.get(owner, 0) > options.top_tier_limit
         or total > options.overload_factor * median),
        key=lambda owner: (-top_counts.get(owner, 0), -totals[owner], owner),
    )
    shown = heavy[: options.shown_reps]
    names, breakdown = await _reps(session, shown)
    return TeamLoad(
        reps=len(totals), median=median, top_tier=top, top_tier_limit=options.top_tier_limit,
        overloaded=[
            RepLoad(
                name=names.get(owner, f"#{owner}"), counts=breakdown.get(owner, {}),
                total=totals[owner],
                too_many_top=top_counts.get(owner, 0) > options.top_tier_limit,
                over_median=totals[owner] > options.overload_factor * median,
            )
            for owner in shown
        ],
        overloaded_count=len(heavy), unassigned=unassigned,
    )


def _per_owner(rows: Iterable[Any]) -> dict[int, int]:
    return {int(row[0] or 0): int(row[1]) for row in rows}


async def _reps(
    session: AsyncSession, owners: Sequence[int]
) -> tuple[dict[int, str], dict[int, TierCounts]]:
    """Names and per-tier counts of a few reps (through the index on the owner)."""
    if not owners:
        return {}, {}
    people = await session.execute(select(Person.id, Person.name).where(Person.id.in_(owners)))
    names = {person_id: name for person_id, name in people}
    breakdown: dict[int, TierCounts] = {}
    rows = await session.execute(
        select(Account.owner_id, Account.tier, func.count())
        .where(Account.owner_id.in_(owners), Account.tier.is_not(None))
        .group_by(Account.owner_id, Account.tier)
    )
    for owner, tier, count in rows:
        breakdown.setdefault(int(owner or 0), {})[str(tier)] = int(count)
    return names, breakdown


async def near_examples(
    session: AsyncSession, accounts: Table, model: CompiledModel
) -> list[NearItem]:
    """The accounts closest to dropping a tier, best tier first."""
    lows = thresholds(model)
    if not lows:
        return []
    c = accounts.c
    low = case(lows, value=c.tier, else_=None)
    query = (
        select(Account.name, c.tier, c.score, low)
        .join(Account, Account.id == c.id)
        .where(c.near == 1)
        .order_by(rank(model, c.tier), c.score - low, c.id)
        .limit(EXAMPLES)
    )
    return [
        NearItem(name=name, tier=tier, score=score, threshold=threshold)
        for name, tier, score, threshold in await session.execute(query)
    ]


async def concentration(
    session: AsyncSession, accounts: Table, model: CompiledModel, totals: Totals,
    options: AccountOptions,
) -> Concentration | None:
    """Share of the revenue fact held by the top 20 % of accounts, and by the largest one."""
    field = revenue_field(model, options.revenue_field)
    if field is None or totals.revenue_sum <= 0 or totals.revenue_max is None:
        return None
    c = accounts.c
    top = math.ceil(TOP_SHARE * totals.revenue_count)
    top_sum = await top_revenue_sum(session, accounts, totals.revenue_count, top)
    largest = await session.scalar(
        select(Account.name).join(accounts, Account.id == c.id)
        .where(c.revenue == totals.revenue_max).order_by(c.id).limit(1)
    )
    label = model.fields[field].label
    unit = model.fields[field].unit
    return Concentration(
        field_label={"en": label.get("en"), "zh": label.get("zh")},
        currency=unit if unit and len(unit) == 3 else model.currency,
        accounts=totals.revenue_count,
        total=totals.revenue_sum,
        top_share=100.0 * top_sum / totals.revenue_sum,
        largest_name=str(largest),
        largest_share=100.0 * totals.revenue_max / totals.revenue_sum,
    )




async def top_revenue_sum(
    session: AsyncSession, accounts: Table, known: int, top: int, *,
    sample_every: int = 50, exact_up_to: int = 100_000,
) -> float:
    """The sum of the ``top`` largest revenues among the ``known`` accounts that have one.

    Sorting every value is the obvious way and, for a million accounts, the slowest
    step of a digest. Above ``exact_up_to`` values a sample (every ``sample_every``-th
    account) brackets the ``top``-th largest value between ``low`` and ``high``; then
    the values above ``high`` are summed without sorting and only the few in the
    bracket are sorted. The result is exact: if the sample brackets wrongly (very
    unlikely with a margin of three standard deviations), the full sort runs.
    """
    c = accounts.c
    known_revenue = c.revenue.is_not(None)

    async def sorted_sum(*where: ColumnElement[bool], limit: int) -> tuple[int, float]:
        query = select(c.revenue).where(known_revenue, *where).order_by(c.revenue.desc())
        best = query.limit(limit).subquery()
        count, total = (await session.execute(
            select(func.count(best.c.revenue), func.sum(best.c.revenue)))).one()
        return int(count or 0), float(total or 0.0)

    if known <= exact_up_to:
        return (await sorted_sum(limit=top))[1]
    sample = list(await session.scalars(
        select(c.revenue).where(known_revenue, c.id % sample_every == 0)
        .order_by(c.revenue.desc())
    ))
    share = top / known
    at = share * len(sample)
    margin = 3 * math.sqrt(len(sample) * share * (1 - share)) + 2
    if not sample or at + margin >= len(sample):
        return (await sorted_sum(limit=top))[1]
    high, low = sample[max(int(at - margin), 0)], sample[int(at + margin)]
    above, above_sum = (await session.execute(
        select(func.count(), func.sum(c.revenue)).where(c.revenue > high))).one()
    missing = top - int(above or 0)
    if missing < 0:
        return (await sorted_sum(limit=top))[1]
    found, band_sum = await sorted_sum(c.revenue <= high, c.revenue >= low, limit=missing)
    if found < missing:
        return (await sorted_sum(limit=top))[1]
    return float(above_sum or 0.0) + band_sum
