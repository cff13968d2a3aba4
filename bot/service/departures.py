"""Someone leaving, or stepping down: their accounts go to a named colleague, and the
team always keeps an admin.

Removing a person who owns accounts without saying who takes them over is refused: an
account without an owner gets no alerts and sits in nobody's list, which nobody would
notice. The handover is one transaction with the removal, and each account's new owner
is audited.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.service import audit, directory
from bot.service.actor import Actor
from bot.service.bulk import add_audit
from bot.service.context import ServiceContext, transaction
from bot.service.errors import PersonInUse
from bot.service.permissions import require_admin
from bot.service.views import PersonView
from bot.store.enums import Role
from bot.store.tables import Account, Person

HAND_OVER = "hand_over"


async def remove_person(
    ctx: ServiceContext, actor: Actor, name_or_identity: str, accounts_to: str | None = None
) -> PersonView:
    """Remove a person; their accounts go to ``accounts_to`` (a name or chat id)."""
    require_admin(actor)
    async with transaction(ctx.database) as session:
        person = await directory.find(session, name_or_identity)
        gone = await directory.view(session, person)
        await keep_an_admin(session, person, Role.REP)
        owned = await _owned(session, person.id)
        heir = None
        if owned:
            if accounts_to is None:
                raise PersonInUse("owns_accounts", gone.name, len(owned))
            heir = await directory.find(session, accounts_to)
            if heir.id == person.id:
                raise directory.invalid("accounts_to", f"{heir.name} is the one leaving")
            await _hand_over(session, ctx, actor, owned, person, heir)
        await session.delete(person)
        handed = {"accounts": len(owned), "to": heir.name} if heir is not None else None
        audit.record(
            session,
            actor,
            "remove_person",
            (audit.PERSON, gone.id),
            at=ctx.clock.now(),
            before=directory.document(gone),
            after={"accounts_handed_over": handed} if handed else None,
        )
    return gone


async def keep_an_admin(session: AsyncSession, person: Person, new_role: Role) -> None:
    """Refuse to take the last admin's role away: nobody could manage people in chat."""
    if person.role is not Role.ADMIN or new_role is Role.ADMIN:
        return
    admins = await session.scalar(
        select(func.count()).select_from(Person).where(Person.role == Role.ADMIN)
    )
    if (admins or 0) <= 1:
        raise PersonInUse("last_admin", person.name)


async def _owned(session: AsyncSession, person_id: int) -> list[int]:
    query = select(Account.id).where(Account.owner_id == person_id).order_by(Account.id)
    return list((await session.scalars(query)).all())


async def _hand_over(
    session: AsyncSession,
    ctx: ServiceContext,
    actor: Actor,
    owned: list[int],
    person: Person,
    heir: Person,
) -> None:
    now = ctx.clock.now()
    await session.execute(
        update(Account)
        .where(Account.owner_id == person.id)
        .values(owner_id=heir.id, version=Account.version + 1, updated_at=now)
        # Core UPDATE: the ORM's version check does not apply; the bump keeps a save
        # that loaded an account before this from overwriting the new owner.
        .execution_options(synchronize_session=False)
    )
    before, after = {"owner": person.name}, {"owner": heir.name}
    await add_audit(session, actor, HAND_OVER, [(i, before, after) for i in owned], now)
