"""Keeping a prospect's qualification with its account.

A qualification grades a prospect by how soon it may buy (A within 3 months ... D not
within 12); the account's tier grades its value. Both stay on the account: the grade is
stored as given, with the answers, when and by whom, and shown on the card. Qualifying a
name that is already an account adds the grade to it instead of making a second one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.service import accounts, creation
from bot.service.actor import Actor
from bot.service.context import ServiceContext, transaction
from bot.service.grading import score_account
from bot.service.permissions import require_editor
from bot.service.views import Card
from scoring import LocalText


@dataclass(frozen=True, slots=True)
class QualifiedProspect:
    """What a finished qualification concluded."""

    grade: str
    label: LocalText  # what the grade means, e.g. "likely to close within 3 months"
    model: str  # "prospect v1"
    answers: Mapping[str, object]  # as JSON values


@dataclass(frozen=True, slots=True)
class SavedQualification:
    card: Card
    created: bool  # a new prospect account; False: added to the account of that name


async def save_qualification(
    ctx: ServiceContext,
    actor: Actor,
    name: str,
    qualified: QualifiedProspect,
    facts: Mapping[str, object],
) -> SavedQualification:
    """Keep ``qualified`` with the account named exactly ``name`` (or external id), or
    create a prospect account with ``facts`` (the answers the account model knows)."""
    document = _document(qualified, actor, ctx.clock.now())
    existing = await accounts.exact(ctx, name)
    if existing is None:
        new = creation.NewAccount(name, facts, qualification=document)
        return SavedQualification(await creation.create_account(ctx, actor, new), created=True)
    async with transaction(ctx.database) as session:
        account = await accounts.load(session, existing.id)
        require_editor(actor, account.owner_id, reps_update_all=ctx.reps_update_all)
        before = {"qualification": account.qualification}
        account.qualification = document
        creation.record_qualification(session, actor, account, before, ctx.clock.now())
        model = (await ctx.models.active(session)).model
        result = score_account(ctx, model, account)
        card = await accounts.build_card(session, ctx, account, model, result)
    return SavedQualification(card, created=False)


def _document(qualified: QualifiedProspect, actor: Actor, now: datetime) -> dict[str, Any]:
    return {
        "grade": qualified.grade,
        "label": dict(qualified.label.texts),
        "model": qualified.model,
        "answers": dict(qualified.answers),
        "at": now.isoformat(),
        "by": actor.name,
    }
