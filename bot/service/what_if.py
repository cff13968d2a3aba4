"""What an account's card would say with other facts, or under another model: nothing
is saved, so a rep or an admin can try a change before making it."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from bot.service import accounts
from bot.service import facts as stored_facts
from bot.service.context import ServiceContext
from bot.service.views import Card
from scoring import CompiledModel, score, what_it_takes


async def what_if(
    ctx: ServiceContext,
    text: str,
    raw: Mapping[str, object] | None = None,
    model: CompiledModel | None = None,
    locale: str = "en",
) -> Card:
    """The card of the account ``text`` names, its stored facts changed by ``raw`` (as
    ``set`` takes them: None or "" clears one) and scored by ``model`` (the active one
    when None). Bad facts raise InvalidInput, as an update would; nothing is written."""
    found = await accounts.resolve(ctx, text)
    card = await accounts.card(ctx, found.id, locale)
    if not raw and model is None:
        return card
    model = model or card.model
    async with ctx.database.session() as session:
        stored = (await accounts.load(session, found.id)).facts
    today = ctx.today()
    changes = stored_facts.validate(model, raw or {}, today)
    facts = stored_facts.decode(model, stored_facts.merge(stored, changes))
    # Hysteresis holds on to the tier the model gave last, if this model has that tier.
    held = found.scored_tier if found.scored_tier in model.tier_names else None
    result = score(model, facts, previous_tier=held, today=today)
    plan = what_it_takes(model, facts, result=result, today=today)
    return dataclasses.replace(card, facts=facts, model=model, result=result, plan=plan)
