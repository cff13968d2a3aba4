"""The weekly digest: collect its numbers once, render it per manager with its chart."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation.messages import Field, Image, Reply, Section
from bot.conversation.texts import Texts, flat
from bot.delivery.chart import tier_chart
from bot.delivery.digest_data import DigestData, MoveItem, TeamLoad
from bot.delivery.digest_queries import TOP_SHARE, DigestOptions, collect
from bot.delivery.models import ActiveModels

_CHARTS_KEPT = 8


class DigestBuilder:
    """Collects digest data and renders digests; charts are drawn once per data set."""

    def __init__(self, models: ActiveModels, options: DigestOptions | None = None) -> None:
        self.models = models
        self.options = options or DigestOptions()
        self._charts: dict[tuple[object, ...], bytes] = {}

    async def collect(self, session: AsyncSession, now: datetime) -> DigestData:
        return await collect(session, await self.models.get(session), now, self.options)

    def chart(self, data: DigestData) -> bytes:
        # Managers in one run share the same numbers; the chart has no words, so one
        # drawing serves every language.
        key = (data.as_of, tuple(data.tiers), tuple(w.model_dump_json() for w in data.weeks))
        png = self._charts.get(key)
        if png is None:
            if len(self._charts) >= _CHARTS_KEPT:
                self._charts.clear()
            png = self._charts[key] = tier_chart(data.tiers, data.weeks)
        return png

    def reply(self, texts: Texts, data: DigestData, *, week: str, time_zone: str) -> Reply:
        sections = [
            _moves(texts, data),
            _near(texts, data),
            _overdue(texts, data),
            _team(texts, data.tiers, data.team, self.options.overload_factor),
        ]
        if data.revenue is not None:
            sections.append(_revenue(texts, data))
        return Reply(
            title=texts("digest", "title", week=week),
            fields=_distribution(texts, data),
            sections=tuple(sections),
            image=Image(self.chart(data), texts("digest", "chart_alt"), f"digest-{week}.png"),
            footer=texts("digest", "footer", model=data.model, version=data.model_version,
                         when=texts.translator.datetime(data.as_of, time_zone)),
            ephemeral=False,
        )


def _n(texts: Texts, value: float) -> str:
    return texts.translator.number(value)


def _points(texts: Texts, value: float) -> str:
    return texts.translator.number(value, 1 if value % 1 else 0)


def _signed(texts: Texts, value: float) -> str:
    if value == 0:
        return "±0"
    return ("+" if value > 0 else "−") + texts.translator.number(abs(value), 1 if value % 1 else 0)


def _distribution(texts: Texts, data: DigestData) -> tuple[Field, ...]:
    graded = max(sum(data.now.values()), 1)
    fields = [Field(texts("digest", "accounts_label"),
                    texts("digest", "accounts_value", total=_n(texts, data.total),
                          ungraded=data.ungraded))]
    for tier in data.tiers:
        count = data.now.get(tier, 0)
        value = texts(
            "digest", "tier_value", count=_n(texts, count),
            share=texts.translator.percent(100 * count / graded),
            week=_signed(texts, count - data.week_ago.get(tier, 0)),
            month=_signed(texts, count - data.four_weeks_ago.get(tier, 0)),
        )
        fields.append(Field(texts("digest", "tier_label", tier=tier), value))
    return tuple(fields)


def _move_line(texts: Texts, move: MoveItem) -> str:
    delta = None
    if move.old_score is not None and move.new_score is not None:
        delta = move.new_score - move.old_score
    return texts("digest", "move_line", name=flat(move.name), old=move.old_tier,
                 new=move.new_tier, delta=_signed(texts, delta) if delta else "",
                 reason=flat(move.reason or ""))


def _moves(texts: Texts, data: DigestData) -> Section:
    lines = [_move_line(texts, m) for m in (*data.top_up, *data.top_down)]
    if data.graded:
        lines.append(texts("digest", "graded_line", count=data.graded))
    if not lines:
        lines.append(texts("digest", "moves_none"))
    return Section(texts("digest", "moves_title", up=_n(texts, data.up),
                         down=_n(texts, data.down)), tuple(lines))


def _per_tier(texts: Texts, tiers: list[str], counts: Mapping[str, int]) -> str:
    return " · ".join(
        texts("digest", "tier_count", tier=tier, count=_n(texts, counts[tier]))
        for tier in tiers if counts.get(tier)
    )


def _near(texts: Texts, data: DigestData) -> Section:
    total = sum(data.near.values())
    lines = [_per_tier(texts, data.tiers, data.near)] if total else []
    lines.extend(
        texts("digest", "near_line", name=flat(item.name), tier=item.tier,
              score=texts.translator.number(item.score, 1),
              threshold=_points(texts, item.threshold))
        for item in data.near_examples
    )
    points = _points(texts, data.near_points)
    return Section(texts("digest", "near_title", count=total, points=points), tuple(lines))


def _overdue(texts: Texts, data: DigestData) -> Section:
    total = sum(data.overdue.values())
    lines = (_per_tier(texts, data.tiers, data.overdue),) if total else ()
    return Section(texts("digest", "overdue_title", count=total, days=data.review_days), lines)


def _team(texts: Texts, tiers: list[str], team: TeamLoad, factor: float) -> Section:
    factor_text = _points(texts, factor)
    lines = [
        texts("digest", "rep_line", name=flat(rep.name),
              counts=_per_tier(texts, tiers, rep.counts),
              too_many_top=rep.too_many_top, over_median=rep.over_median,
              top=team.top_tier, limit=team.top_tier_limit, factor=factor_text)
        for rep in team.overloaded
    ]
    if hidden := team.overloaded_count - len(team.overloaded):
        lines.append(texts("lists", "more", count=hidden))
    if not lines and team.reps:
        lines.append(texts("digest", "team_ok"))
    if team.unassigned:
        lines.append(texts("digest", "unassigned", count=team.unassigned))
    title = texts("digest", "team_title", reps=team.reps, median=_n(texts, team.median))
    return Section(title, tuple(lines))


def _revenue(texts: Texts, data: DigestData) -> Section:
    revenue = data.revenue
    assert revenue is not None
    label = revenue.field_label.get(texts.locale) or revenue.field_label.get("en", "")
    lines = (
        texts("digest", "revenue_top", top=texts.translator.percent(100 * TOP_SHARE),
              share=texts.translator.percent(revenue.top_share), field=label),
        texts("digest", "revenue_largest", name=flat(revenue.largest_name),
              share=texts.translator.percent(revenue.largest_share, 1)),
    )
    return Section(texts("digest", "revenue_title"), lines)
