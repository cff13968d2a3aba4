"""People: adding, finding, roles, identities, preferences, and first contact."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.service import (
    Actor,
    InvalidInput,
    PermissionDenied,
    PersonInUse,
    PersonNotFound,
    TieringService,
)
from bot.store.db import Database
from bot.store.enums import Language, Role
from bot.store.tables import Account, AuditEntry
from bot.testing.builders import Team, add_team, row_counts, service_for


@pytest.fixture
async def service(database: Database) -> TieringService:
    return service_for(database)


@pytest.fixture
async def team(service: TieringService) -> Team:
    return await add_team(service)


async def test_admins_manage_people_and_every_change_is_audited(
    service: TieringService, team: Team, database: Database
) -> None:
    with pytest.raises(PermissionDenied) as caught:
        await service.add_person(team.actor(team.manager), "Zoe", Role.REP)
    assert caught.value.reason == "admins_only"
    with pytest.raises(InvalidInput, match="already taken"):
        await service.add_person(Actor.cli(), "ravi  rep ", Role.REP)
    with pytest.raises(InvalidInput, match="telegram: '1001' already belongs to Ravi Rep"):
        await service.add_person(Actor.cli(), "Zoe", Role.REP, telegram="1001")
    with pytest.raises(InvalidInput):
        await service.add_person(Actor.cli(), "Zoe", Role.REP, time_zone="Mars/Olympus")

    promoted = await service.set_role(Actor.cli(), "telegram:2002", Role.MANAGER)
    assert (promoted.name, promoted.role) == ("Lin Rep", Role.MANAGER)
    linked = await service.link_identity(Actor.cli(), "lin rep", "slack", "U0LIN", team_id="T1")
    assert [(i.platform, i.platform_user_id) for i in linked.identities] == [
        ("telegram", "2002"),
        ("slack", "U0LIN"),
    ]
    removed = await service.remove_person(Actor.cli(), "Lin Rep")
    assert removed.id == team.other_rep.id
    with pytest.raises(PersonNotFound):
        await service.person_by_name("Lin Rep")
    assert await service.person_by_identity("slack", "U0LIN") is None
    assert [p.name for p in await service.list_people()] == ["Mia Manager", "Ravi Rep"]

    async with database.session() as session:
        actions = (await session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()
    assert actions == ["add_person"] * 3 + ["set_role", "link_identity", "remove_person"]


@pytest.mark.parametrize(
    ("links", "problem"),
    [
        ({"slack": "U0RAVI"}, "slack: 'U0RAVI' already belongs to Ravi Rep"),
        ({"telegram": "abc"}, "telegram: 'abc' is not a number"),
        ({"telegram": "-100123"}, "telegram: '-100123' is a group chat id, not a user"),
        ({"email": "notanemail"}, "email: 'notanemail' is not an email address"),
        ({"email": "zoe@localhost"}, "email: 'zoe@localhost' is not an email address"),
        ({"email": "zoe@@example.com"}, "is not an email address"),
    ],
)
async def test_a_person_is_refused_for_a_chat_id_taken_or_malformed_or_an_unlikely_email(
    service: TieringService, team: Team, links: dict[str, str], problem: str
) -> None:
    with pytest.raises(InvalidInput, match=problem):
        await service.add_person(Actor.cli(), "Zoe", Role.REP, **links)

    assert [p.name for p in await service.list_people()] == ["Lin Rep", "Mia Manager", "Ravi Rep"]


async def test_a_chat_id_linked_to_someone_else_names_them(
    service: TieringService, team: Team
) -> None:
    with pytest.raises(InvalidInput, match="slack: 'U0MIA' already belongs to Mia Manager"):
        await service.link_identity(Actor.cli(), "Lin Rep", "slack", "U0MIA")
    with pytest.raises(InvalidInput, match="telegram: 'lin' is not a number"):
        await service.link_identity(Actor.cli(), "Lin Rep", "telegram", "lin")

    added = await service.add_person(
        Actor.cli(), "Zoe", Role.REP, telegram=" 3003 ", email=" zoe@example.com "
    )
    assert (added.email, added.identities[0].platform_user_id) == ("zoe@example.com", "3003")


async def test_preferences_change_only_what_is_given_and_language_can_follow_the_platform(
    service: TieringService, team: Team
) -> None:
    rep = team.actor(team.rep)
    assert team.rep.language is Language.EN

    chinese = await service.update_preferences(rep, language="zh", time_zone="Asia/Shanghai")
    assert chinese.language is Language.ZH
    assert chinese.time_zone == "Asia/Shanghai"
    assert chinese.alerts_enabled
    following = await service.update_preferences(rep, language=None, digest_enabled=False)
    assert following.language is None
    assert following.time_zone == "Asia/Shanghai"
    assert not following.digest_enabled
    with pytest.raises(InvalidInput):
        await service.update_preferences(rep, language="fr")
    with pytest.raises(PersonNotFound):
        await service.update_preferences(Actor.cli(), alerts_enabled=False)


async def test_a_newcomer_is_created_once_even_when_messages_race_and_found_by_identity(
    service: TieringService, team: Team
) -> None:
    people = await asyncio.gather(
        *(
            service.ensure_person("telegram", "4242", name="Ravi Rep", role=Role.REP)
            for _ in range(3)
        )
    )

    assert len({p.id for p in people}) == 1
    newcomer = people[0]
    # The name was taken, so the identity tells them apart.
    assert newcomer.name == "Ravi Rep (telegram:4242)"
    assert (newcomer.role, newcomer.language) == (Role.REP, None)
    assert len(await service.list_people()) == 4
    found = await service.person_by_identity("telegram", "4242")
    assert found == newcomer
    assert (await service.person_by_name("RAVI REP")).id == team.rep.id


async def test_someone_leaving_hands_their_accounts_over_or_nothing_happens(
    service: TieringService, team: Team, database: Database
) -> None:
    rep = team.actor(team.rep)
    ids = [(await service.create_account(rep, name)).account.id for name in ("Acme", "Apex")]
    before = await row_counts(database)

    with pytest.raises(PersonInUse) as orphaned:
        await service.remove_person(Actor.cli(), "Ravi Rep")
    with pytest.raises(PersonNotFound):
        await service.remove_person(Actor.cli(), "Ravi Rep", accounts_to="Nobody")
    with pytest.raises(InvalidInput):
        await service.remove_person(Actor.cli(), "Ravi Rep", accounts_to="ravi rep")
    assert (orphaned.value.reason, orphaned.value.accounts) == ("owns_accounts", 2)
    assert await row_counts(database) == before

    await service.remove_person(Actor.cli(), "Ravi Rep", accounts_to="Lin Rep")

    async with database.session() as session:
        owners = set(
            await session.scalars(select(Account.owner_id).where(Account.id.in_(ids)))
        )
        handed = (
            await session.scalars(select(AuditEntry.after).where(AuditEntry.action == "hand_over"))
        ).all()
    assert owners == {team.other_rep.id}
    assert handed == [{"owner": "Lin Rep"}] * 2
    mine = await service.accounts_by_owner(team.other_rep.id)
    assert sorted(a.name for tier in mine.values() for a in tier) == ["Acme", "Apex"]


async def test_the_team_always_keeps_an_admin(service: TieringService, team: Team) -> None:
    await service.add_person(Actor.cli(), "Ada Admin", Role.ADMIN)

    with pytest.raises(PersonInUse) as demoted:
        await service.set_role(Actor.cli(), "Ada Admin", Role.MANAGER)
    with pytest.raises(PersonInUse):
        await service.remove_person(Actor.cli(), "Ada Admin")

    assert demoted.value.reason == "last_admin"
    await service.add_person(Actor.cli(), "Bo Admin", Role.ADMIN)
    assert (await service.set_role(Actor.cli(), "Ada Admin", Role.REP)).role is Role.REP
