"""Finding accounts by what people type, and the tier card."""

from __future__ import annotations

import pytest

from bot.model_files import open_model
from bot.service import AccountNotFound, Actor, AmbiguousAccount, InvalidInput, TieringService
from bot.store.db import Database
from bot.testing.builders import A_FACTS, B_FACTS, service_for


@pytest.fixture
async def service(database: Database) -> TieringService:
    service = service_for(database)
    admin = Actor.cli()
    await service.create_account(admin, "Acme Corporation", facts=B_FACTS, external_id="CRM-7")
    await service.create_account(admin, "Acorn Partners")
    await service.create_account(admin, "Apex Industries", aliases=["Apex"])
    await service.create_account(admin, "华为技术有限公司", aliases=["Huawei"], facts=A_FACTS)
    await service.create_account(admin, "Globex Logistics")
    await service.create_account(admin, "Globex Trading")
    return service


async def test_a_typo_is_not_taken_as_a_match_but_offered_as_did_you_mean(
    service: TieringService,
) -> None:
    found = await service.find_accounts("acme corpp")
    assert found[0].account.name == "Acme Corporation"

    with pytest.raises(AccountNotFound) as caught:
        await service.resolve_account("acme corpp")
    assert caught.value.candidates[0].name == "Acme Corporation"


async def test_a_search_lists_no_account_too_unlike_what_was_typed(
    service: TieringService,
) -> None:
    # "Acme Corporation" shares the letters "co" (50 of 100): nobody typing this means it.
    found = await service.find_accounts("trading co", limit=8)
    assert [match.account.name for match in found] == ["Globex Trading"]


async def test_exact_names_aliases_external_ids_and_chinese_names_resolve(
    service: TieringService,
) -> None:
    assert (await service.resolve_account("ACME CORPORATION")).name == "Acme Corporation"
    assert (await service.resolve_account("CRM-7")).name == "Acme Corporation"
    assert (await service.resolve_account("apex")).name == "Apex Industries"
    assert (await service.resolve_account("华为")).name == "华为技术有限公司"
    assert (await service.resolve_account("huawei")).name == "华为技术有限公司"
    exact = await service.find_accounts("CRM-7")
    assert exact[0].similarity == 100


async def test_equally_close_accounts_are_ambiguous_and_nothing_close_is_not_found(
    service: TieringService,
) -> None:
    with pytest.raises(AmbiguousAccount) as caught:
        await service.resolve_account("globex")
    assert {c.name for c in caught.value.candidates} == {"Globex Logistics", "Globex Trading"}

    with pytest.raises(AccountNotFound) as missing:
        await service.resolve_account("initech")
    assert missing.value.candidates == ()
    with pytest.raises(AccountNotFound):
        await service.card(9999)


async def test_the_card_explains_the_score_and_the_way_up(service: TieringService) -> None:
    acme = await service.resolve_account("acme corporation")

    card = await service.card(acme.id, locale="zh")

    assert (card.account.tier, card.account.scored_tier) == ("B", "B")
    assert card.result.total == pytest.approx(65.75)
    assert [c.id for c in card.result.top_reasons(2)] == ["recency", "credit_standing"]
    assert card.result.hysteresis.previous_tier == "B"
    assert card.plan.next_tier == "A"
    assert card.plan.points_needed is not None
    assert card.plan.points_needed["total"] == pytest.approx(12.25)
    assert card.result.playbook is not None
    assert card.result.playbook.next_steps[0].get("zh").startswith("提供")
    assert card.facts["cumulative_revenue"] == 6_000_000
    assert [c.new_tier for c in card.recent_changes] == ["B"]  # its first grading
    assert card.locale == "zh"


async def test_a_card_asked_for_by_name_is_the_card_of_the_account_the_name_resolves_to(
    service: TieringService,
) -> None:
    for name in ("ACME CORPORATION", "CRM-7", "apex", "华为"):
        resolved = await service.resolve_account(name)
        card = await service.named_card(name, locale="zh")
        assert card == await service.card(resolved.id, locale="zh")

    with pytest.raises(AmbiguousAccount):
        await service.named_card("globex")
    with pytest.raises(AccountNotFound):
        await service.named_card("initech")


async def test_a_card_asked_for_by_name_shows_the_facts_just_set(service: TieringService) -> None:
    before = await service.named_card("Acme Corporation")

    await service.update_facts(Actor.cli(), before.account.id, {"referrals": 3})

    after = await service.named_card("Acme Corporation")
    assert (before.facts.get("referrals"), after.facts["referrals"]) == (None, 3)
    assert after.account.version == before.account.version + 1
    assert after.result.total > before.result.total


async def test_what_if_scores_changed_facts_or_another_model_and_saves_nothing(
    service: TieringService,
) -> None:
    stored = await service.card((await service.resolve_account("acme corporation")).id)

    cleared = await service.what_if("acme corporation", {"last_order_date": ""})
    graded = await service.what_if("CRM-7", model=open_model("five_grade"))

    assert cleared.result.total < stored.result.total
    assert "last_order_date" not in cleared.facts
    assert graded.model.name == "five_grade"
    assert graded.result.tier in graded.model.tier_names
    again = await service.card(stored.account.id)
    assert (again.account.version, again.result.total) == (
        stored.account.version,
        stored.result.total,
    )
    with pytest.raises(InvalidInput):
        await service.what_if("acme corporation", {"orders_per_year": "-3"})
