"""Replies about one account: the tier card, every reason, the playbook, its history."""

from __future__ import annotations

from bot.conversation.messages import Button, ButtonStyle, Reply, ReplyKind, Section
from bot.conversation.texts import Texts, flat
from bot.service.views import AccountSummary, Card, TierChangeView
from scoring import CompiledModel, CriterionResult, FactChange, Playbook

TOP_REASONS = 3


def ref(account: AccountSummary) -> str:
    """How buttons name an account: by id, so renamed or look-alike names never mix up."""
    return f"#{account.id}"


def card_reply(
    texts: Texts, card: Card, *, manager: bool, may_edit: bool, note: str | None = None
) -> Reply:
    """The tier card; ``manager`` and ``may_edit`` decide which buttons it offers, so
    nobody is offered a change they would be refused."""
    account, result = card.account, card.result
    sections = [
        Section(
            texts("card", "reasons_title"),
            tuple(_criterion_line(texts, card, c) for c in result.top_reasons(TOP_REASONS))
            or (texts("card", "no_points"),),
        ),
    ]
    if result.playbook is not None:
        sections.append(
            Section(texts("card", "playbook_title"), _playbook_headline(texts, result.playbook))
        )
    sections.append(Section(texts("card", "what_it_takes_title"), _what_it_takes(texts, card)))
    return Reply(
        title=texts("card", "title", name=flat(account.name), tier=account.tier or "-"),
        kind=ReplyKind.CARD,
        fields=_card_fields(texts, card),
        sections=tuple(sections),
        buttons=_card_buttons(texts, account, manager=manager, may_edit=may_edit),
        footer=note or texts("card", "footer", model=card.model.name, version=card.model.version),
    )


def _card_fields(texts: Texts, card: Card) -> tuple:  # type: ignore[type-arg]
    account, result, tr = card.account, card.result, texts.translator
    qualified = card.qualification
    return texts.fields(
        "card",
        "fields",
        score=tr.number(result.total, 1),
        tier_label=texts.local(result.tier_label),
        scored_tier=account.scored_tier or "",
        override=account.override_tier or "",
        override_reason=flat(account.override_reason or ""),
        override_until=tr.date(account.override_until.date()) if account.override_until else "",
        since=tr.date(account.tier_since.date()) if account.tier_since else "",
        owner=flat(account.owner_name or ""),
        completeness=tr.percent(result.completeness),
        held=result.hysteresis.held,
        raw_tier=result.hysteresis.raw_tier,
        qualified_grade=qualified.grade if qualified else "",
        qualified_label=texts.local(qualified.label) if qualified else "",
        qualified_on=tr.date(qualified.at.date()) if qualified else "",
    )


def _card_buttons(
    texts: Texts, account: AccountSummary, *, manager: bool, may_edit: bool
) -> tuple[Button, ...]:
    key = ref(account)
    buttons = [
        Button(texts("card", "button_why"), f"why {key}", ButtonStyle.PRIMARY),
        Button(texts("card", "button_playbook"), f"playbook {key}"),
        Button(texts("card", "button_history"), f"history {key}"),
    ]
    if may_edit:
        buttons.append(Button(texts("card", "button_update"), f"edit {key}"))
    if manager:
        buttons.append(Button(texts("card", "button_override"), f"override {key}"))
    return tuple(buttons)


def _criterion_line(texts: Texts, card: Card, c: CriterionResult) -> str:
    field = card.model.fields[c.field]
    return texts(
        "card",
        "criterion",
        label=texts.local(c.label),
        value=texts.fact(field, c.value, card.model.currency),
        missing=c.missing,
        points=texts.translator.number(c.points, 1),
        max_points=texts.translator.number(c.max_points),
        band=texts.local(c.band.label) if c.band and c.band.label else "",
    )


def _playbook_headline(texts: Texts, book: Playbook) -> tuple[str, ...]:
    return texts.lines(
        "card",
        "playbook_headline",
        owner=texts.local(book.owner),
        cadence=book.cadence_days,
        first_step=texts.local(book.next_steps[0]),
    )


def _what_it_takes(texts: Texts, card: Card) -> tuple[str, ...]:
    """What the score needs for the next tier: the model's view, which an override in
    force does not change (the plan is computed from the score alone)."""
    plan, tr, account = card.plan, texts.translator, card.account
    override = account.override_tier or ""
    if override == account.scored_tier:
        override = ""  # the model gives that tier anyway: nothing is held
    changes = [_change_line(texts, card.model, c) for c in (plan.changes or plan.best_moves)[:2]]
    needed = plan.points_needed or {}
    return texts.lines(
        "card",
        "what_it_takes",
        next_tier=plan.next_tier or "",
        needed=[(_score_label(texts, card.model, k), tr.number(v, 1)) for k, v in needed.items()],
        reachable=bool(plan.changes),
        changes=changes,
        tier_below=plan.tier_below or "",
        margin=tr.number(plan.margin_below, 1) if plan.margin_below is not None else "",
        override=override,
        scored_tier=account.scored_tier or "",
    )


def _score_label(texts: Texts, model: CompiledModel, name: str) -> str:
    sub = next((s for s in model.sub_scores if s.name == name), None)
    return texts.local(sub.label) if sub else texts("card", "score_name", name=name)


def _change_line(texts: Texts, model: CompiledModel, change: FactChange) -> str:
    field = model.fields[change.field]
    return texts(
        "card",
        "change",
        label=texts.local(field.label),
        old=texts.fact(field, change.current, model.currency),
        new=texts.fact(field, change.proposed, model.currency),
        gain=texts.translator.number(change.points_gain, 1),
        tier=change.new_tier,
    )


def why_reply(texts: Texts, card: Card) -> Reply:
    result, tr = card.result, texts.translator
    by_sub = []
    for sub in card.model.sub_scores:
        lines = tuple(
            _criterion_line(texts, card, c) for c in result.criteria if c.sub_score == sub.name
        )
        title = texts(
            "card",
            "sub_score_title",
            label=texts.local(sub.label),
            score=tr.number(result.sub_scores[sub.name], 1),
            weight=tr.number(sub.weight),
        )
        by_sub.append(Section(title, lines))
    if result.adjustments:
        by_sub.append(
            Section(
                texts("card", "adjustments_title"),
                tuple(
                    texts(
                        "card",
                        "adjustment",
                        reason=texts.local(a.reason),
                        points=tr.number(a.points, 1),
                        capped=a.capped,
                    )
                    for a in result.adjustments
                ),
            )
        )
    missing = [texts.local(card.model.fields[name].label) for name in result.missing]
    return Reply(
        title=texts(
            "card",
            "why_title",
            name=flat(card.account.name),
            tier=card.account.tier or "-",
            score=tr.number(result.total, 1),
        ),
        sections=tuple(by_sub),
        footer=texts(
            "card",
            "why_footer",
            base=tr.number(result.base, 1),
            adjustments=tr.number(result.adjustment_total, 1),
            total=tr.number(result.total, 1),
            missing=tr.format_list(missing),
            completeness=tr.percent(result.completeness),
        ),
        buttons=(Button(texts("card", "button_card"), f"tier {ref(card.account)}"),),
    )


def playbook_reply(texts: Texts, book: Playbook, tier_label: str, name: str | None = None) -> Reply:
    return Reply(
        title=texts(
            "card", "playbook_reply_title", tier=book.tier, label=tier_label, name=flat(name or "")
        ),
        fields=texts.fields(
            "card",
            "playbook_fields",
            owner=texts.local(book.owner),
            cadence=book.cadence_days,
            service=texts.local(book.service_level),
            terms=texts.local(book.terms),
        ),
        sections=(
            Section(
                texts("card", "next_steps_title"),
                tuple(f"{i}. {texts.local(step)}" for i, step in enumerate(book.next_steps, 1)),
            ),
        ),
    )


def history_reply(texts: Texts, account: AccountSummary, changes: list[TierChangeView]) -> Reply:
    lines = tuple(change_line(texts, change, with_name=False) for change in changes)
    return Reply(
        title=texts("card", "history_title", name=flat(account.name)),
        sections=(Section(None, lines or (texts("card", "history_empty"),)),),
        buttons=(Button(texts("card", "button_card"), f"tier {ref(account)}"),),
    )


def change_line(texts: Texts, change: TierChangeView, *, with_name: bool = True) -> str:
    tr = texts.translator
    delta = None
    if change.old_score is not None and change.new_score is not None:
        delta = change.new_score - change.old_score
    return texts(
        "card",
        "change_line",
        name=flat(change.account_name) if with_name else "",
        old=change.old_tier or "-",
        new=change.new_tier,
        delta=tr.number(delta, 1) if delta is not None else "",
        up=delta is not None and delta > 0,
        cause=change.cause.value,
        who=flat(change.actor_name or ""),
        when=tr.date(change.changed_at.date()),
    )
