"""Chat understands what people type: a Chinese input method's full-width text, names
that start with a command word, apostrophes, and the words of a qualification."""

from __future__ import annotations

from pathlib import Path

from bot.conversation.messages import ChatKind, IncomingMessage, Platform, Reply, ReplyKind
from bot.service.actor import Actor
from bot.testing.scenario import Scenario, scenario


def said_by(user: str, text: str) -> IncomingMessage:
    return IncomingMessage(Platform.CONSOLE, user, "console", text, ChatKind.PRIVATE)


async def say(world: Scenario, text: str, user: str = "ann") -> Reply:
    [reply] = await world.app.conversation.handle(said_by(user, text))
    return reply


async def add_account(world: Scenario, name: str) -> int:
    card = await world.app.service.create_account(Actor.cli(), name, owner_id=world.people["Ann"])
    return card.account.id


async def test_full_width_text_from_a_chinese_input_method_finds_and_changes_accounts(
    tmp_path: Path,
) -> None:
    async with scenario(tmp_path) as world:
        for typed in (
            "ｔｉｅｒ　ａｃｍｅ　ｃｏｒｐｏｒａｔｉｏｎ",
            "tier ＡＣＭＥ Ｃｏｒｐｏｒａｔｉｏｎ",
        ):
            assert (await say(world, typed)).title == "Acme Corporation · Tier B"
        overridden = await say(world, "override acme corporation Ａ because partner")
        assert overridden.title == "Acme Corporation · Tier A"
        updated = await say(world, "set acme corporation revenue_growth=35％")
        assert updated.title == "Updated Acme Corporation"
        card = await world.app.service.card(world.account_ids["Acme Corporation"])
        assert card.facts["revenue_growth"] == 35


async def test_a_name_starting_with_a_chinese_command_word_is_the_account_not_the_command(
    tmp_path: Path,
) -> None:
    async with scenario(tmp_path) as world:
        # "历史" is history: without the whole name winning, this asked for the history
        # of 文化传媒有限公司, another account.
        await add_account(world, "历史文化传媒有限公司")
        await add_account(world, "文化传媒有限公司")
        reply = await say(world, "历史文化传媒有限公司")
        assert reply.title == "历史文化传媒有限公司 · Tier C"
        assert (await say(world, "历史文化传媒有限公司是什么等级？")).title == reply.title
        history = await say(world, "历史 文化传媒有限公司")  # with a space: the command
        assert history.title == "Tier history of 文化传媒有限公司"


async def test_a_name_starting_with_an_english_command_word_is_the_account(
    tmp_path: Path,
) -> None:
    async with scenario(tmp_path) as world:
        for name in ("Start Logistics", "Set Logistics", "Why Media", "Media One", "Media Two"):
            await add_account(world, name)
        for name in ("Start Logistics", "Set Logistics", "Why Media"):
            # "why Media" alone would be ambiguous; the whole message names an account.
            assert (await say(world, name)).title == f"{name} · Tier C"
        assert (await say(world, "start")).title == "tierbot: account tiers in chat"
        why = await say(world, "why acme corporation")
        assert why.title == "Why Acme Corporation is B (72.3)"


async def test_qualify_followed_by_a_name_starting_with_back_qualifies_that_prospect(
    tmp_path: Path,
) -> None:
    async with scenario(tmp_path) as world:
        reply = await say(world, "qualify Back Office Ltd")
        assert reply.kind is ReplyKind.QUESTION
        assert reply.title == "Does the company already run an ERP or a similar business system?"


async def test_set_takes_a_name_with_an_apostrophe(tmp_path: Path) -> None:
    async with scenario(tmp_path) as world:
        await add_account(world, "Macy's Retail")
        reply = await say(world, "set Macy's Retail revenue_growth=12%")
        assert reply.title == "Updated Macy's Retail"


async def test_cancel_and_back_typed_after_the_result_act_on_the_qualification(
    tmp_path: Path,
) -> None:
    async with scenario(tmp_path) as world:
        for word, title in [
            ("back", "How is its current system working out?"),
            ("cancel", "Qualification cancelled. Nothing was saved."),
            ("取消", "Qualification cancelled. Nothing was saved."),
        ]:
            await say(world, "qualify Foo Robotics")
            await say(world, "yes")
            result = await say(world, "replacing")
            assert result.title == "Foo Robotics: grade A (closes within 3 months)"
            reply = await say(world, word)
            assert reply.title is not None
            assert reply.title.startswith(title)
            await say(world, "qualify cancel")


async def test_a_chinese_answer_that_does_not_fit_is_explained_in_chinese_with_the_choices(
    tmp_path: Path,
) -> None:
    async with scenario(tmp_path) as world:
        await say(world, "lang zh")
        await say(world, "评估 华为")
        await say(world, "是")
        reply = await say(world, "随便")
        assert reply.kind is ReplyKind.ERROR
        assert reply.title == "这个回答不合适：“随便”不是可选的回答；请回复编号或点按钮。"
        choices = reply.sections[-1]
        assert choices.title == "可选回答"
        assert choices.lines[0] == "1. 已经开始或即将开始选型，以更换现有系统或扩大信息化范围"
        shown = " ".join([reply.title, *(line for s in reply.sections for line in s.lines)])
        assert "replacing" not in shown
        assert "is not one of" not in shown
        picked = await say(world, "2")  # a number picks a choice
        assert picked.title == "华为：评级 B级（4至6个月内可成交）"
