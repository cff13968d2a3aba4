"""Buttons do what they say and offer only what works; a command that changes nothing
says so; a fact given twice is refused; find says when it shows only the best."""

from __future__ import annotations

from pathlib import Path

from bot.conversation.messages import ChatKind, IncomingMessage, Platform, Reply, ReplyKind
from bot.service.actor import Actor
from bot.settings import Settings
from bot.testing.scenario import Scenario, scenario


def said_by(user: str, text: str, *, button: bool = False) -> IncomingMessage:
    return IncomingMessage(
        Platform.CONSOLE, user, "console", text, ChatKind.PRIVATE, is_button=button
    )


async def say(world: Scenario, text: str, user: str = "ann") -> Reply:
    [reply] = await world.app.conversation.handle(said_by(user, text))
    return reply


async def press(world: Scenario, reply: Reply, label: str, user: str = "ann") -> Reply:
    [button] = [b for b in reply.buttons if b.label == label]
    [answer] = await world.app.conversation.handle(said_by(user, button.command, button=True))
    return answer


def commands(reply: Reply) -> list[str]:
    return [button.command for button in reply.buttons]


async def add_accounts(world: Scenario, *names: str) -> dict[str, int]:
    ids = {}
    for name in names:
        card = await world.app.service.create_account(
            Actor.cli(), name, owner_id=world.people["Ann"]
        )
        ids[name] = card.account.id
    return ids


async def test_picking_an_account_offered_for_an_ambiguous_name_still_runs_the_command(
    tmp_path: Path,
) -> None:
    async with scenario(tmp_path) as world:
        ids = await add_accounts(world, "Acme Retail", "Acme Energy")
        asked = await say(world, "set acme revenue_growth=12%")
        assert asked.title == "Several accounts match “acme”. Which one?"
        assert f"set #{ids['Acme Retail']} revenue_growth=12%" in commands(asked)

        done = await press(world, asked, "Acme Retail (C)")
        assert done.title == "Updated Acme Retail"
        assert (await world.app.service.card(ids["Acme Retail"])).facts["revenue_growth"] == 12

        why = await say(world, "why acme")
        assert f"why #{ids['Acme Energy']}" in commands(why)
        override = await say(world, "override acme B because partner for 30d")
        assert f"override #{ids['Acme Energy']} B because partner for 30d" in commands(override)


async def test_the_cards_override_button_offers_the_tiers_and_a_command_to_finish(
    tmp_path: Path,
) -> None:
    async with scenario(tmp_path) as world:
        acme = world.account_ids["Acme Corporation"]
        card = await say(world, "tier acme corporation")
        tiers = await press(world, card, "Override")
        assert tiers.kind is ReplyKind.QUESTION
        assert tiers.title == "Which tier should Acme Corporation have? It is B now."
        assert commands(tiers) == [f"override #{acme} {tier}" for tier in "ABC"]

        reason = await press(world, tiers, "A")
        assert reason.kind is ReplyKind.QUESTION
        assert reason.title == "Why should Acme Corporation be A? An override needs a reason."
        example = f"override #{acme} A because strategic partner for 30d"
        assert reason.footer == f"Send it with the reason, for example: {example}"
        assert (await say(world, example)).title == "Acme Corporation · Tier A"


async def test_the_chinese_override_example_is_a_command_that_works_as_it_is(
    tmp_path: Path,
) -> None:
    async with scenario(tmp_path) as world:
        acme = world.account_ids["Acme Corporation"]
        await say(world, "lang zh")
        reason = await say(world, f"override #{acme} A")
        assert reason.footer is not None
        example = reason.footer.partition("例如：")[2]
        assert example == f"override #{acme} A 因为 战略合作伙伴 为期30天"
        await say(world, example)
        card = await world.app.service.card(acme)
        assert (card.account.tier, card.account.override_reason) == ("A", "战略合作伙伴")
        assert card.account.override_until is not None


async def test_a_rep_is_offered_update_only_on_accounts_they_may_change(tmp_path: Path) -> None:
    async with scenario(tmp_path) as world:
        own = await say(world, "tier globex", user="bob")  # Bob owns Globex
        assert "Update" in [b.label for b in own.buttons]
        others = await say(world, "tier acme corporation", user="bob")
        assert "Update" not in [b.label for b in others.buttons]
        assert "Override" not in [b.label for b in others.buttons]
        managers = await say(world, "tier globex", user="ann")
        assert {"Update", "Override"} <= {b.label for b in managers.buttons}


async def test_reps_who_may_update_every_account_are_offered_update_on_every_card(
    tmp_path: Path,
) -> None:
    async with scenario(tmp_path, Settings(TIERBOT_REPS_UPDATE_ALL=True)) as world:
        [card] = await world.app.conversation.handle(said_by("bob", "tier acme corporation"))
        assert "Update" in [b.label for b in card.buttons]


async def test_what_it_takes_under_an_override_to_a_lower_tier_gives_the_models_view(
    tmp_path: Path,
) -> None:
    async with scenario(tmp_path) as world:
        await say(world, "set Acme Corporation revenue_growth=45% orders_per_year=20")  # A
        card = await say(world, "override acme corporation C because payment dispute")
        [takes] = [s for s in card.sections if s.title == "What it takes"]
        assert takes.lines[:2] == (
            "Tier C is held by an override; by its score it is A.",
            "Its score already reaches the top tier.",
        )
        assert "Top tier already." not in takes.lines


async def test_clearing_an_override_that_is_not_there_says_so_and_records_nothing(
    tmp_path: Path,
) -> None:
    async with scenario(tmp_path) as world:
        reply = await say(world, "override acme corporation clear")
        assert reply.footer == "Acme Corporation has no override to clear; its tier is the model's."
        history = await world.app.service.history(world.account_ids["Acme Corporation"])
        assert [change.cause.value for change in history] == ["update"]  # its creation only
        assert (await say(world, "override acme corporation clear", user="bob")).title == (
            "Only managers can do that."
        )


async def test_cancelling_a_qualification_when_none_is_open_says_there_is_none(
    tmp_path: Path,
) -> None:
    async with scenario(tmp_path) as world:
        assert (await say(world, "qualify cancel")).title == "There is no qualification to cancel."
        await say(world, "qualify Foo Robotics")
        assert (await say(world, "qualify cancel")).title == (
            "Qualification cancelled. Nothing was saved."
        )


async def test_find_says_it_shows_the_best_matches_when_more_accounts_match(
    tmp_path: Path,
) -> None:
    async with scenario(tmp_path) as world:
        await add_accounts(world, *(f"Kovira Foods {n}" for n in range(1, 11)))
        many = await say(world, "find kovira")
        assert many.title == (
            "The 8 best matches for “kovira” (there are more: add a word to narrow it)"
        )
        assert len(many.sections[0].lines) == 8
        assert (await say(world, "find globex")).title == "1 match for “globex”"


async def test_a_fact_given_twice_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    async with scenario(tmp_path) as world:
        acme = world.account_ids["Acme Corporation"]
        before = await world.app.service.card(acme)
        for typed in ("revenue_growth=10% revenue_growth=30%", "growth=10% revenue_growth=30%"):
            reply = await say(world, f"set acme corporation {typed}")
            assert reply.kind is ReplyKind.ERROR
            [problem] = reply.sections[0].lines
            assert problem.startswith("revenue_growth: given more than once (")
            assert reply.footer == (
                "Nothing was changed. For example: set acme corporation " + typed.split()[0]
            )
        after = await world.app.service.card(acme)
        assert (after.facts, after.account.version) == (before.facts, before.account.version)
