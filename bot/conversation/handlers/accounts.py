"""Commands about one account: tier, why, playbook, history, set, edit, override, undo."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from bot.conversation.cards import card_reply, history_reply, playbook_reply, ref, why_reply
from bot.conversation.errors import invalid_input_reply
from bot.conversation.messages import Button, Reply, ReplyKind, Section
from bot.conversation.parser import Command
from bot.conversation.texts import flat
from bot.conversation.turn import Turn
from bot.service.errors import InvalidInput
from bot.service.views import Card
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


async def tier(turn: Turn, command: Command) -> Reply:
    card = await card_of(turn, command.target)
    return card_reply(turn.texts, card, manager=turn.is_manager)


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
    card = card_reply(texts, outcome.card, manager=turn.is_manager)
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


async def _invalid_facts(turn: Turn, error: InvalidInput, target: str) -> Reply:
    """Say what was wrong with each fact, with a correct example for the first one."""
    model = await turn.service.active_model()
    field = next((model.fields[p.path] for p in error.problems if p.path in model.fields), None)
    if field is None:
        field = next(iter(model.fields.values()))
        hint = turn.texts("common", "known_fields", fields=", ".join(model.fields))
    else:
        hint = ""
    example = f"set {target} {field.name}={_sample(field, turn.now.date())}"
    return invalid_input_reply(turn.texts, error, example, hint)


def _sample(field: FieldDef, today: date) -> str:
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
    return " ".join(f"{name}={_sample(model.fields[name], today)}" for name in names)


async def override(turn: Turn, command: Command) -> Reply:
    account = await account_id(turn, command.target)
    model = await turn.service.active_model()
    tier_name = command.tier.upper() if model.tier(command.tier.upper()) else command.tier
    if model.tier(tier_name) is None:
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
    return card_reply(turn.texts, card, manager=turn.is_manager, note=note)


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
    card = await turn.service.clear_override(turn.actor, await account_id(turn, command.target))
    return card_reply(
        turn.texts, card, manager=turn.is_manager, note=turn.texts("accounts", "override_cleared")
    )


async def undo(turn: Turn, command: Command) -> Reply:
    outcome = await turn.service.undo_last(turn.actor, await account_id(turn, command.target))
    note = turn.texts(
        "accounts",
        "undone",
        action=outcome.undone_action,
        when=turn.texts.translator.datetime(outcome.undone_at, turn.person.time_zone),
    )
    return card_reply(turn.texts, outcome.card, manager=turn.is_manager, note=note)


async def reviewed(turn: Turn, command: Command) -> Reply:
    account = await turn.service.mark_reviewed(turn.actor, await account_id(turn, command.target))
    return Reply(title=turn.texts("accounts", "reviewed", name=flat(account.name)))


async def find(turn: Turn, command: Command) -> Reply:
    matches = await turn.service.find_accounts(command.target, limit=8)
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
        title=texts("accounts", "find_title", query=flat(command.target), count=len(matches)),
        sections=(Section(None, lines or (texts("accounts", "find_none"),)),),
        buttons=tuple(
            Button(flat(m.account.name)[:60], f"tier {ref(m.account)}") for m in matches[:5]
        ),
    )
