"""The numbers of a weekly digest, from a handful of SQL aggregates.

Nothing here loops over accounts in Python, so a digest costs the same few queries
for a thousand accounts or a million:

* the account side (distribution now, near a boundary, overdue reviews, each rep's
  load, revenue concentration) comes from one pass over ``accounts``, see
  :mod:`bot.delivery.digest_accounts`;
* one pass over the last 12 weeks of ``tier_changes`` grouped by (week, old, new)
  gives the weekly moves; the distribution at the end of each earlier week is the
  current one with those moves undone (every move takes one account out of its old
  tier and into its new one, so the moves of a period add up to the change of the
  counts over it, however often an account moved);
* ``ORDER BY ... LIMIT`` queries give the biggest moves of the week.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import digest_accounts as accounts
from bot.delivery.digest_accounts import TOP_SHARE, AccountOptions, rank
from bot.delivery.digest_data import DigestData, MoveItem, TierCounts, WeekPoint
from bot.delivery.schedule import iso_week
from bot.store.tables import Account, TierChange
from scoring import CompiledModel

WEEKS = 12
EXAMPLES = 5
DEFAULT_REVENUE_FIELD = "cumulative_revenue"

__all__ = ["TOP_SHARE", "DigestOptions", "collect"]


@dataclass(frozen=True, slots=True)
class DigestOptions:
    near_points: float = 3.0
    # A dedicated senior manager sees a top-tier account every two weeks or so; past
    # about 30 of them the cadence cannot be kept.
    top_tier_limit: int = 30
    overload_factor: float = 2.0  # times the team median of accounts per rep
    shown_reps: int = 8
    revenue_field: str = DEFAULT_REVENUE_FIELD

    def for_accounts(self) -> AccountOptions:
        return AccountOptions(self.near_points, self.top_tier_limit, self.overload_factor,
                              self.shown_reps, self.revenue_field)


async def collect(
    session: AsyncSession, model: CompiledModel, now: datetime, options: DigestOptions
) -> DigestData:
    tiers = list(model.tier_names)
    opts = options.for_accounts()
    async with accounts.working_set(session, model, now, opts) as working:
        totals = await accounts.totals(session, working, tiers)
        team = await accounts.team(session, working, model, totals.unassigned, opts)
        near = await accounts.near_examples(session, working, model)
        revenue = await accounts.concentration(session, working, model, totals, opts)
    weeks = await _weeks(session, model, now, totals.counts)
    moves = await _top_moves(session, model, now - timedelta(days=7))
    return DigestData(
        as_of=now,
        model=model.name,
        model_version=model.version,
        tiers=tiers,
        total=sum(totals.counts.values()) + totals.ungraded,
        ungraded=totals.ungraded,
        now=totals.counts,
        week_ago=weeks[-2].counts,
        four_weeks_ago=weeks[-5].counts,
        weeks=weeks,
        up=weeks[-1].up,
        down=weeks[-1].down,
        graded=await _first_gradings(session, now - timedelta(days=7)),
        top_up=moves[0],
        top_down=moves[1],
        near_points=options.near_points,
        near=totals.near,
        near_examples=near,
        review_days=model.review_every_days,
        overdue=totals.overdue,
        team=team,
        revenue=revenue,
    )


# -- twelve weeks of moves -----------------------------------------------------------


async def _weeks(
    session: AsyncSession, model: CompiledModel, now: datetime, counts_now: TierCounts
) -> list[WeekPoint]:
    ends = [now - timedelta(days=7 * i) for i in range(WEEKS + 1)]  # ends[0] is now
    week = case(*((TierChange.changed_at > ends[i + 1], i) for i in range(WEEKS)), else_=None)
    query = (
        select(week, TierChange.old_tier, TierChange.new_tier, func.count())
        .where(TierChange.changed_at > ends[-1])
        .group_by(week, TierChange.old_tier, TierChange.new_tier)
    )
    flows: dict[int, list[tuple[str | None, str, int]]] = defaultdict(list)
    for index, old, new, count in await session.execute(query):
        flows[index].append((old, new, count))
    ranks = {t.name: t.rank for t in model.tiers}
    points: list[WeekPoint] = []
    counts: Counter[str] = Counter(counts_now)
    for index in range(WEEKS):
        up, down = _directions(flows[index], ranks)
        points.append(WeekPoint(label=_label(ends[index]), counts=_clean(counts), up=up, down=down))
        for old, new, count in flows[index]:  # undo the week's moves
            counts[new] -= count
            if old is not None:
                counts[old] += count
    return points[::-1]


def _label(moment: datetime) -> str:
    return "W" + iso_week(moment.date()).rsplit("W", 1)[1]


def _clean(counts: Mapping[str, int]) -> TierCounts:
    return {tier: max(count, 0) for tier, count in counts.items()}


def _directions(
    flows: Sequence[tuple[str | None, str, int]], ranks: Mapping[str, int]
) -> tuple[int, int]:
    up = down = 0
    for old, new, count in flows:
        if old is None or old not in ranks or new not in ranks:
            continue
        if ranks[new] < ranks[old]:
            up += count
        elif ranks[new] > ranks[old]:
            down += count
    return up, down


async def _first_gradings(session: AsyncSession, since: datetime) -> int:
    query = select(func.count()).where(TierChange.changed_at > since, TierChange.old_tier.is_(None))
    return int(await session.scalar(query) or 0)


async def _top_moves(
    session: AsyncSession, model: CompiledModel, since: datetime
) -> tuple[list[MoveItem], list[MoveItem]]:
    size = func.abs(func.coalesce(TierChange.new_score, 0) - func.coalesce(TierChange.old_score, 0))
    new_rank, old_rank = rank(model, TierChange.new_tier), rank(model, TierChange.old_tier)
    found: list[list[MoveItem]] = []
    for direction in (new_rank < old_rank, new_rank > old_rank):
        query = (
            select(Account.name, TierChange.old_tier, TierChange.new_tier, TierChange.old_score,
                   TierChange.new_score, TierChange.reasons)
            .join(Account, Account.id == TierChange.account_id)
            .where(TierChange.changed_at > since, direction)
            .order_by(size.desc(), TierChange.id.desc())
            .limit(EXAMPLES)
        )
        found.append([
            MoveItem(name=name, old_tier=old, new_tier=new, old_score=old_score,
                     new_score=new_score, reason=reasons[0] if reasons else None)
            for name, old, new, old_score, new_score, reasons in await session.execute(query)
        ])
    return found[0], found[1]
