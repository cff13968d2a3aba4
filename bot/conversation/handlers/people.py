"""Personal settings and administration: whoami, lang, alerts, digest, role, people, model."""

from __future__ import annotations

from bot.conversation.messages import Reply, Section
from bot.conversation.parser import Command
from bot.conversation.texts import flat
from bot.conversation.turn import Turn
from bot.service.errors import PermissionDenied
from bot.service.views import PersonView
from bot.store.enums import Language, Role


def _person_fields(turn: Turn, person: PersonView) -> Reply:
    texts = turn.texts
    identities = ", ".join(f"{i.platform}:{i.platform_user_id}" for i in person.identities)
    return Reply(
        title=flat(person.name),
        fields=texts.fields(
            "people",
            "person_fields",
            role=person.role.value,
            language=person.language.value if person.language else "",
            time_zone=person.time_zone,
            alerts=person.alerts_enabled,
            digest=person.digest_enabled,
            identities=identities,
        ),
    )


async def whoami(turn: Turn, command: Command) -> Reply:
    return _person_fields(turn, turn.person)


async def lang(turn: Turn, command: Command) -> Reply:
    await turn.service.update_preferences(turn.actor, language=Language(command.value))
    # Confirm in the language just chosen, so the person sees at once that it worked.
    return Reply(title=turn.all_texts.get(command.value)("people", "language_set"))


async def alerts_switch(turn: Turn, command: Command) -> Reply:
    await turn.service.update_preferences(turn.actor, alerts_enabled=bool(command.switch))
    return Reply(title=turn.texts("people", "alerts_switched", on=bool(command.switch)))


async def digest_switch(turn: Turn, command: Command) -> Reply:
    await turn.service.update_preferences(turn.actor, digest_enabled=bool(command.switch))
    return Reply(title=turn.texts("people", "digest_switched", on=bool(command.switch)))


def _admins_only(turn: Turn) -> None:
    if not turn.is_admin:
        raise PermissionDenied("admins_only")


async def role(turn: Turn, command: Command) -> Reply:
    _admins_only(turn)
    person = await turn.service.set_role(turn.actor, command.target, Role(command.value))
    return Reply(
        title=turn.texts("people", "role_set", name=flat(person.name), role=person.role.value)
    )


async def people(turn: Turn, command: Command) -> Reply:
    _admins_only(turn)
    everyone = await turn.service.list_people()
    lines = tuple(
        turn.texts(
            "people",
            "person_line",
            name=flat(p.name),
            role=p.role.value,
            identities=", ".join(f"{i.platform}:{i.platform_user_id}" for i in p.identities),
        )
        for p in everyone
    )
    return Reply(
        title=turn.texts("people", "people_title", count=len(everyone)),
        sections=(Section(None, lines),),
    )


async def people_add(turn: Turn, command: Command) -> Reply:
    _admins_only(turn)
    links = dict(command.assignments)
    person = await turn.service.add_person(
        turn.actor,
        command.target,
        Role(command.value),
        slack=links.get("slack"),
        telegram=links.get("telegram"),
        email=links.get("email"),
    )
    return Reply(
        title=turn.texts("people", "person_added", name=flat(person.name), role=person.role.value)
    )


async def people_remove(turn: Turn, command: Command) -> Reply:
    _admins_only(turn)
    heir = command.value or None
    gone = await turn.service.remove_person(turn.actor, command.target, accounts_to=heir)
    return Reply(
        title=turn.texts("people", "person_removed", name=flat(gone.name), heir=flat(heir or ""))
    )


async def model(turn: Turn, command: Command) -> Reply:
    info = await turn.service.model_info()
    compiled = await turn.service.active_model()
    texts = turn.texts
    tiers = ", ".join(f"{t.name} ({texts.local(t.label)})" for t in compiled.tiers)
    return Reply(
        title=texts("people", "model_title", name=info.name, version=info.version),
        fields=texts.fields(
            "people",
            "model_fields",
            title=texts.local(compiled.title),
            tiers=tiers,
            activated=texts.translator.date(info.activated_at.date()) if info.activated_at else "",
            criteria=len(compiled.criteria),
            hysteresis=texts.translator.number(compiled.hysteresis, 1),
        ),
    )
