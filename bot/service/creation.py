"""Creating an account: from a qualification ("save as account"), by hand or by import."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.service import accounts, audit
from bot.service import facts as stored_facts
from bot.service.actor import Actor
from bot.service.changes import Before, record_move
from bot.service.context import ServiceContext, transaction
from bot.service.errors import InvalidInput
from bot.service.grading import apply_score, history_row, snapshot
from bot.service.permissions import require_editor
from bot.service.reasons import score_reasons
from bot.service.views import Card
from bot.store.enums import LifecycleStage, ScoreCause
from bot.store.tables import Account, Person
from scoring import Problem, score


@dataclass(frozen=True, slots=True)
class NewAccount:
    name: str
    facts: Mapping[str, object] = field(default_factory=dict)
    owner_id: int | None = None
    external_id: str | None = None
    lifecycle_stage: LifecycleStage = LifecycleStage.PROSPECT
    aliases: Sequence[str] = ()
    cause: ScoreCause = ScoreCause.UPDATE
    notify: bool = True  # False for bulk imports: a first grade is not news to anyone
    qualification: dict[str, Any] | None = None  # a prospect's, as qualifications keeps it


QUALIFY = "qualify"  # the audit action of a qualification kept with an account


def record_qualification(
    session: AsyncSession,
    actor: Actor,
    account: Account,
    before: dict[str, Any] | None,
    now: datetime,
) -> None:
    """Audit the qualification ``account`` now holds; ``before`` as the audit log had it
    (None for a new account)."""
    after = {"qualification": account.qualification}
    target = (audit.ACCOUNT, account.id)
    audit.record(session, actor, QUALIFY, target, at=now, before=before, after=after)


async def create_account(ctx: ServiceContext, actor: Actor, new: NewAccount) -> Card:
    name = " ".join(new.name.split())
    if not name:
        raise _invalid("name", "an account needs a name")
    owner_id = new.owner_id if new.owner_id is not None else actor.person_id
    require_editor(actor, owner_id, reps_update_all=ctx.reps_update_all)
    try:
        return await _create(ctx, actor, new, name, owner_id)
    except IntegrityError:
        if not new.external_id:
            raise
        # Checked below, but two imports may add the same external id in one instant.
        raise _invalid("external_id", f"{new.external_id!r} is already used") from None


async def _create(
    ctx: ServiceContext, actor: Actor, new: NewAccount, name: str, owner_id: int | None
) -> Card:
    async with transaction(ctx.database) as session:
        model = (await ctx.models.active(session)).model
        values = stored_facts.validate(model, new.facts, ctx.today())
        await _check_references(session, owner_id, new.external_id)
        account = Account(
            name=name,
            external_id=new.external_id or None,
            owner_id=owner_id,
            aliases=[a.strip() for a in new.aliases if a.strip()],
            lifecycle_stage=new.lifecycle_stage,
            facts=stored_facts.merge({}, values),
            qualification=new.qualification,
            created_at=ctx.clock.now(),
        )
        facts = stored_facts.decode(model, account.facts)
        result = score(model, facts, today=ctx.today())
        apply_score(account, result, ctx.clock.now())
        session.add(account)
        await session.flush()
        session.add(history_row(account, new.cause, ctx.clock.now()))
        audit.record(
            session,
            actor,
            "create_account",
            (audit.ACCOUNT, account.id),
            at=ctx.clock.now(),
            after=snapshot(account),
        )
        if new.qualification is not None:
            record_qualification(session, actor, account, None, ctx.clock.now())
        await record_move(
            session,
            ctx,
            account,
            Before(None, None),
            cause=new.cause,
            actor=actor,
            reasons=score_reasons(model, None, result),
            model=model,
            notify=new.notify,
        )
        return await accounts.build_card(session, ctx, account, model, result)


async def _check_references(
    session: AsyncSession, owner_id: int | None, external_id: str | None
) -> None:
    if owner_id is not None and await session.get(Person, owner_id) is None:
        raise _invalid("owner", f"no person with id {owner_id}")
    if external_id:
        taken = await session.scalar(select(Account.name).where(Account.external_id == external_id))
        if taken is not None:
            raise _invalid("external_id", f"{external_id!r} is already used by {taken}")


def _invalid(path: str, message: str) -> InvalidInput:
    return InvalidInput("account", [Problem(path, message)])
