"""Commands about one account: tier, why, playbook, history, set, edit, override, undo."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from bot.conversation.cards import card_reply, history_reply, playbook_reply, ref, why_reply
from bot.conversation.errors import invalid_input_reply
from bot.conversation.messages import Button, ButtonStyle, Reply, ReplyKind, Section
from bot.conversation.parser import Command
from bot.conversation.texts import flat
from bot.conversation.turn import Turn
from bot.service.accounts import EXACT
from bot.service.errors import InvalidInput, PermissionDenied
from bot.service.views import AccountSummary, Card
from scoring import CompiledModel, FieldDef, Problem
from scoring.spec import FieldType

# Up to 9 digits: any longer is no id of ours (a 32-bit key on PostgreSQL), just text.
_BY_ID = re.compile(r"^#(\d{1,9})$")


async def account_id(turn: Turn, target: str) -> int:
    """Buttons name accounts as ``#id``; people type names, which are looked up."""
    match = _BY_ID.match(target.strip())
    if match:
        return int(match[1])
    return (await turn.service.resolve_account(target)).id


async def card_of(turn: Turn, target: str) -> Card:
    """The card of the account ``target`` names, as :func:`account_id` finds it."""
    match = _BY_ID.match(target.strip())
    if match:
        return await turn.service.card(int(match[1]), locale=turn.texts.locale)
    return await turn.service.named_card(target, locale=turn.texts.locale)


async def exactly_named(turn: Turn, text: str) -> AccountSummary | None:
    """The account whose name, alias or external id is ``text`` (ignoring case), if any."""
    matches = await turn.service.find_accounts(text, limit=1)
    return matches[0].account if matches and matches[0].similarity >= EXACT else None


def shown(turn: Turn, card: Card, note: str | None = None) -> Reply:
    """The tier card with the buttons this person may use."""
    return card_reply(
        turn.texts, card, manager=turn.is_manager, may_edit=turn.may_edit(card.account), note=note
    )


async def tier(turn: Turn, command: Command) -> Reply:
    return shown(turn, await card_of(turn, command.target))


async def why(turn: Turn, command: Command) -> Reply:
    return why_reply(turn.texts, await card_of(turn, command.target))


async def playbook(turn: Turn, command: Command) -> Reply:
    model = await turn.service.active_model()
    by_tier = model.tier(command.target.strip().upper()) or model.tier(command.target.strip())
    if by_tier is not None:
        book = model.playbook(by_tier.name)
        if book is None:
            return _no_playbook(turn, by_tier.name)
        return playbook_reply(turn.texts, book, turn.texts.local(by_tier.label))
    card = await card_of(turn, command.target)
    book = card.result.playbook
    if card.account.tier and card.account.tier != card.result.tier:
        book = model.playbook(card.account.tier)  # an override's tier decides the playbook
    if book is None:
        return _no_playbook(turn, card.account.tier or "-")
    label = model.tier(book.tier)
    return playbook_reply(
        turn.texts, book, turn.texts.local(label.label) if label else book.tier, card.account.name
    )


def _no_playbook(turn: Turn, tier_name: str) -> Reply:
    return Reply(title=turn.texts("accounts", "no_playbook", tier=tier_name), kind=ReplyKind.INFO)


async def history(turn: Turn, command: Command) -> Reply:
    card = await card_of(turn, command.target)
    changes = await turn.service.history(card.account.id, limit=10)
    return history_reply(turn.texts, card.account, changes)


async def set_facts(turn: Turn, command: Command) -> Reply:
    repeated = await _repeated_facts(turn, command)
    if repeated is not None:
        return repeated
    account = await account_id(turn, command.target)
    try:
        outcome = await turn.service.update_facts(turn.actor, account, dict(command.assignments))
    except InvalidInput as error:
        return await _invalid_facts(turn, error, command.target)
    texts, model, tr = turn.texts, outcome.card.model, turn.texts.translator
    lines = tuple(
        texts(
            "accounts",
            "fact_change",
            label=texts.local(model.fields[name].label),
            old=texts.fact(model.fields[name], old, model.currency),
            new=texts.fact(model.fields[name], new, model.currency),
        )
        for name, (old, new) in outcome.changed.items()
    )
    card = shown(turn, outcome.card)
    summary = texts(
        "accounts",
        "updated_summary",
        old_score=tr.number(outcome.old_score, 1) if outcome.old_score is not None else "-",
        new_score=tr.number(outcome.card.result.total, 1),
        old_tier=outcome.old_tier or "-",
        new_tier=outcome.card.account.tier or "-",
        changed=outcome.tier_changed,
    )
    return Reply(
        title=texts("accounts", "updated_title", name=flat(outcome.card.account.name)),
        kind=ReplyKind.CARD,
        fields=card.fields,
        sections=(
            Section(texts("accounts", "changes_title"), lines or (texts("accounts", "no_change"),)),
            *card.sections,
        ),
        buttons=(
            Button(texts("accounts", "button_undo"), f"undo {ref(outcome.card.account)}"),
            *card.buttons,
        ),
        footer=summary,
    )


async def _repeated_facts(turn: Turn, command: Command) -> Reply | None:
    """A fact given twice (``referrals=1 referrals=3``, or by name and by alias) is
    refused before anything is written: which value was meant would be a guess."""
    if len(command.assignments) < 2:
        return None
    model = await turn.service.active_model()
    given: dict[str, list[tuple[str, str]]] = {}
    for name, value in command.assignments:
        field = model.resolve_field(name)
        given.setdefault(field.name if field else name, []).append((name, value))
    problems = [
        Problem(
            field,
            turn.texts(
                "accounts", "repeated_fact", given=", ".join(f"{n}={v}" for n, v in assignments)
            ),
        )
        for field, assignments in given.items()
        if len(assignments) > 1
    ]
    if not problems:
        return None
    once = " ".join(f"{n}={v}" for n, v in (assignments[0] for assignments in given.values()))
    error = InvalidInput("set", problems)
    return invalid_input_reply(turn.texts, error, f"set {command.target} {once}")


async def _invalid_facts(turn: Turn, error: InvalidInput, target: str) -> Reply:
    """Say what was wrong with each fact, with a correct example for the first one."""
    model = await turn.service.active_model()
    field = next((model.fields[p.path] for p in error.problems if p.path in model.fields), None)
    if field is None:
        field = next(iter(model.fields.values()))
        hint = turn.texts("common", "known_fields", fields=", ".join(model.fields))
    else:
        hint = ""
    example = f"set {target} {field.name}={sample_value(field, turn.now.date())}"
    return invalid_input_reply(turn.texts, error, example, hint)


def sample_value(field: FieldDef, today: date) -> str:
    """A value that fits ``field``, for examples in error messages."""
    if field.type is FieldType.CHOICE:
        return field.choices[0]
    samples = {
        FieldType.BOOLEAN: "yes",
        FieldType.DATE: today.isoformat(),
        FieldType.PERCENT: "35%",
        FieldType.MONEY: "1.2M",
        FieldType.INTEGER: "12",
    }
    return samples.get(field.type, "42")


async def edit(turn: Turn, command: Command) -> Reply:
    card = await card_of(turn, command.target)
    texts, model = turn.texts, card.model
    lines = tuple(
        texts(
            "accounts",
            "editable_field",
            name=name,
            label=texts.local(field.label),
            value=texts.fact(field, card.facts.get(name), model.currency),
            kind=field.type.value,
            choices=", ".join(field.choices),
        )
        for name, field in model.fields.items()
    )
    return Reply(
        title=texts("accounts", "edit_title", name=flat(card.account.name)),
        sections=(Section(None, lines),),
        footer=texts(
            "accounts",
            "edit_footer",
            example=f"set {ref(card.account)} {_example_assignment(model, turn.now.date())}",
        ),
        extra={
            "form": "update_facts",
            "account_id": str(card.account.id),
            "version": str(card.account.version),
        },
    )


def _example_assignment(model: CompiledModel, today: date) -> str:
    """``field=value`` for the first two fields the model scores, with values that fit."""
    names = model.scored_fields()[:2]
    return " ".join(f"{name}={sample_value(model.fields[name], today)}" for name in names)


async def override(turn: Turn, command: Command) -> Reply:
    if not command.reason:
        return await _override_prompt(turn, command)
    account = await account_id(turn, command.target)
    model = await turn.service.active_model()
    tier_name = _tier_name(model, command.tier)
    if tier_name is None:
        raise InvalidInput(
            "override",
            [
                Problem(
                    "tier",
                    turn.texts(
                        "accounts",
                        "unknown_tier",
                        tier=command.tier,
                        tiers=", ".join(model.tier_names),
                    ),
                )
            ],
        )
    until, last_day = _override_end(turn, command)
    card = await turn.service.override(turn.actor, account, tier_name, command.reason, until=until)
    note = turn.texts(
        "accounts",
        "override_set",
        tier=tier_name,
        until=turn.texts.translator.date(last_day) if last_day else "",
    )
    return shown(turn, card, note)


def _tier_name(model: CompiledModel, typed: str) -> str | None:
    """The model's tier ``typed`` names: as written, or in capitals ("a" is A)."""
    for name in (typed.upper(), typed):
        if name and model.tier(name) is not None:
            return name
    return None


async def _override_prompt(turn: Turn, command: Command) -> Reply:
    """``override #12`` (the card's Override button) or ``override Acme A``: no reason
    yet, so nothing is changed; offer the tiers and a command to copy and finish."""
    if not turn.is_manager:
        raise PermissionDenied("managers_only")
    model = await turn.service.active_model()
    tier_name = _tier_name(model, command.tier)
    # "override Acme Health": no tier is called Health, so it is part of the name.
    target = command.target if tier_name or not command.tier else f"{command.target} {command.tier}"
    card = await card_of(turn, target)
    texts, key, name = turn.texts, ref(card.account), flat(card.account.name)
    if tier_name is not None:
        return Reply(
            title=texts("accounts", "override_needs_reason", name=name, tier=tier_name),
            kind=ReplyKind.QUESTION,
            footer=texts("accounts", "override_example", key=key, tier=tier_name),
        )
    current = card.account.tier or "-"
    lines = tuple(
        texts(
            "accounts",
            "override_tier_choice",
            tier=t.name,
            label=texts.local(t.label),
            current=t.name == current,
        )
        for t in model.tiers
    )
    return Reply(
        title=texts("accounts", "override_which_tier", name=name, tier=current),
        kind=ReplyKind.QUESTION,
        sections=(Section(None, lines),),
        buttons=tuple(
            Button(t.name, f"override {key} {t.name}", ButtonStyle.DEFAULT) for t in model.tiers
        ),
        footer=texts("accounts", "override_example", key=key, tier=model.tier_names[0]),
    )


_LAST_SECOND = time(23, 59, 59)


def _override_end(turn: Turn, command: Command) -> tuple[datetime | None, date | None]:
    """When an override ends, and the last day it holds as people read it: "until
    2026-06-30" holds through that day in the person's time zone."""
    if command.duration:
        until = turn.now + command.duration
        return until, until.date()
    if command.until:
        day_ends = datetime.combine(command.until, _LAST_SECOND, ZoneInfo(turn.person.time_zone))
        return day_ends.astimezone(UTC), command.until
    return None, None


async def override_clear(turn: Turn, command: Command) -> Reply:
    before = await card_of(turn, command.target)
    if before.account.override_tier is None and turn.is_manager:
        # Nothing to clear: say so rather than claim a change (others hear "managers only").
        note = turn.texts("accounts", "no_override", name=flat(before.account.name))
        return shown(turn, before, note)
    card = await turn.service.clear_override(turn.actor, before.account.id)
    return shown(turn, card, turn.texts("accounts", "override_cleared"))


async def undo(turn: Turn, command: Command) -> Reply:
    outcome = await turn.service.undo_last(turn.actor, await account_id(turn, command.target))
    note = turn.texts(
        "accounts",
        "undone",
        action=outcome.undone_action,
        when=turn.texts.translator.datetime(outcome.undone_at, turn.person.time_zone),
    )
    return shown(turn, outcome.card, note)


async def reviewed(turn: Turn, command: Command) -> Reply:
    account = await turn.service.mark_reviewed(turn.actor, await account_id(turn, command.target))
    return Reply(title=turn.texts("accounts", "reviewed", name=flat(account.name)))


FIND_LIMIT = 8


async def find(turn: Turn, command: Command) -> Reply:
    # One more than shown tells whether there are more: the count alone cannot.
    found = await turn.service.find_accounts(command.target, limit=FIND_LIMIT + 1)
    matches, more = found[:FIND_LIMIT], len(found) > FIND_LIMIT
    texts = turn.texts
    lines = tuple(
        texts(
            "accounts",
            "match",
            name=flat(m.account.name),
            tier=m.account.tier or "-",
            owner=flat(m.account.owner_name or ""),
            external_id=flat(m.account.external_id or ""),
        )
        for m in matches
    )
    return Reply(
        title=texts(
            "accounts", "find_title", query=flat(command.target), count=len(matches), more=more
        ),
        sections=(Section(None, lines or (texts("accounts", "find_none"),)),),
        buttons=tuple(
            Button(flat(m.account.name)[:60], f"tier {ref(m.account)}") for m in matches[:5]
        ),
    )
