"""Lists across accounts: mine by tier, movers, my review list, a preview of my digest."""

from __future__ import annotations

from datetime import timedelta

from bot.conversation.cards import change_line, ref
from bot.conversation.messages import Button, Reply, Section
from bot.conversation.parser import Command
from bot.conversation.texts import flat
from bot.conversation.turn import Turn
from scoring import CompiledModel

MAX_PER_TIER = 15


async def mine(turn: Turn, command: Command) -> Reply:
    by_tier = await turn.service.accounts_by_owner(turn.person.id)
    texts, tr = turn.texts, turn.texts.translator
    sections = []
    for tier_name, accounts in by_tier.items():
        lines = tuple(
            texts(
                "lists",
                "account_line",
                name=flat(a.name),
                score=tr.number(a.score, 1) if a.score is not None else "-",
                override=bool(a.override_tier),
            )
            for a in accounts[:MAX_PER_TIER]
        )
        more = len(accounts) - MAX_PER_TIER
        if more > 0:
            lines += (texts("lists", "more", count=more),)
        sections.append(
            Section(texts("lists", "tier_heading", tier=tier_name, count=len(accounts)), lines)
        )
    total = sum(len(a) for a in by_tier.values())
    return Reply(
        title=texts("lists", "mine_title", count=total),
        sections=tuple(sections) or (Section(None, (texts("lists", "mine_empty"),)),),
    )


async def movers(turn: Turn, command: Command) -> Reply:
    period = command.duration or timedelta(days=7)
    owner = None if turn.is_manager else turn.person.id
    changes = await turn.service.movers(turn.now - period, owner_id=owner, limit=30)
    model = await turn.service.active_model()
    texts = turn.texts
    up = [c for c in changes if _moved_up(model, c.old_tier, c.new_tier)]
    down = [c for c in changes if c not in up]
    sections = []
    if up:
        sections.append(
            Section(
                texts("lists", "up_title", count=len(up)), tuple(change_line(texts, c) for c in up)
            )
        )
    if down:
        sections.append(
            Section(
                texts("lists", "down_title", count=len(down)),
                tuple(change_line(texts, c) for c in down),
            )
        )
    return Reply(
        title=texts("lists", "movers_title", days=period.days, team=owner is None),
        sections=tuple(sections) or (Section(None, (texts("lists", "movers_empty"),)),),
    )


def _moved_up(model: CompiledModel, old: str | None, new: str) -> bool:
    old_rank, new_rank = model.tier_rank(old), model.tier_rank(new)
    return old_rank is None or (new_rank is not None and new_rank < old_rank)


async def review(turn: Turn, command: Command) -> Reply:
    items = await turn.service.review_list(turn.person.id)
    texts, tr = turn.texts, turn.texts.translator
    lines = tuple(
        texts(
            "lists",
            "review_line",
            name=flat(i.account.name),
            tier=i.account.tier or "-",
            overdue=i.overdue_days or 0,
            margin=tr.number(i.margin_below, 1) if i.margin_below is not None else "",
        )
        for i in items[:25]
    )
    return Reply(
        title=texts("lists", "review_title", count=len(items)),
        sections=(Section(None, lines or (texts("lists", "review_empty"),)),),
        buttons=tuple(
            Button(flat(i.account.name)[:60], f"tier {ref(i.account)}") for i in items[:5]
        ),
    )


async def digest_preview(turn: Turn, command: Command) -> Reply:
    owner = None if turn.is_manager else turn.person.id
    texts, tr = turn.texts, turn.texts.translator
    distribution = await turn.service.tier_distribution(owner_id=owner)
    changes = await turn.service.movers(turn.now - timedelta(days=7), owner_id=owner, limit=10)
    reviews = await turn.service.review_list(turn.person.id)
    total = sum(distribution.values()) or 1
    return Reply(
        title=texts("lists", "digest_title", team=owner is None),
        fields=tuple(
            texts.fields(
                "lists", "distribution_field", tier=t, count=n, share=tr.percent(100.0 * n / total)
            )[0]
            for t, n in distribution.items()
        ),
        sections=(
            Section(
                texts("lists", "digest_moves", count=len(changes)),
                tuple(change_line(texts, c) for c in changes) or (texts("lists", "movers_empty"),),
            ),
            Section(
                texts("lists", "digest_reviews", count=len(reviews)),
                tuple(flat(i.account.name) for i in reviews[:5]),
            ),
        ),
        footer=texts("lists", "digest_footer"),
    )
