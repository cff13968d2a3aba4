"""A manager's `digest` in chat is the real weekly digest; housekeeping ends overrides and
re-grades accounts as their last orders age."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.conversation.messages import ChatKind, IncomingMessage, Platform
from bot.maintenance import maintain_once
from bot.rendering.plain import render_plain
from bot.service.actor import Actor
from bot.testing.scenario import scenario


def said_by(user: str, text: str) -> IncomingMessage:
    return IncomingMessage(Platform.CONSOLE, user, "console", text, ChatKind.PRIVATE)


async def test_a_manager_asking_for_the_digest_gets_the_weekly_digest_with_its_chart(
    tmp_path: Path,
) -> None:
    async with scenario(tmp_path) as world:
        [reply] = await world.app.conversation.handle(said_by("ann", "digest"))
        assert reply.image is not None
        assert reply.image.png.startswith(b"\x89PNG")
        assert reply.sections  # distribution, moves, boundaries, reviews, load, revenue


async def test_a_rep_asking_for_the_digest_gets_a_summary_of_their_own_accounts(
    tmp_path: Path,
) -> None:
    async with scenario(tmp_path) as world:
        [reply] = await world.app.conversation.handle(said_by("bob", "digest"))
        assert reply.image is None
        assert reply.fields  # the tier distribution of Bob's book


async def test_housekeeping_ends_an_override_once_it_has_expired(tmp_path: Path) -> None:
    async with scenario(tmp_path) as world:
        account = world.account_ids["Globex Logistics"]
        until = world.clock.now() + timedelta(days=1)
        card = await world.app.service.override(
            Actor.cli(), account, "A", "strategic partner", until=until
        )
        assert card.account.tier == "A"
        await maintain_once(world.app)
        assert (await world.app.service.card(account)).account.tier == "A"
        world.clock.advance(days=2)
        await maintain_once(world.app)
        after = (await world.app.service.card(account)).account
        assert after.tier == after.scored_tier != "A"
        assert after.override_tier is None


async def test_housekeeping_regrades_an_account_once_a_day_as_its_last_order_ages(
    tmp_path: Path,
) -> None:
    async with scenario(tmp_path) as world:
        chat = world.app.conversation
        await chat.handle(
            said_by("ann", "set acme corporation last_order_date=2026-02-20 revenue_growth=20%")
        )
        await maintain_once(world.app, "replica-1")  # 78.75: A today
        world.clock.advance(days=380)  # the last order is over a year old: 70.75

        await maintain_once(world.app, "replica-1")
        await maintain_once(world.app, "replica-2")

        [reply] = await chat.handle(said_by("ann", "history acme corporation"))
        history = render_plain(reply).text
        assert history.count("time passed") == 1
        assert "A → B" in history


async def test_an_override_until_a_day_holds_through_that_day_then_housekeeping_ends_it(
    tmp_path: Path,
) -> None:
    async with scenario(tmp_path) as world:
        chat = world.app.conversation
        [reply] = await chat.handle(
            said_by("ann", "override globex logistics A because pilot until 2026-03-10")
        )
        assert "Mar 10, 2026" in render_plain(reply).text
        account = world.account_ids["Globex Logistics"]

        world.clock.set(datetime(2026, 3, 10, 23, 0, tzinfo=UTC))
        await maintain_once(world.app)
        assert (await world.app.service.card(account)).account.tier == "A"
        world.clock.advance(hours=2)
        await maintain_once(world.app)
        assert (await world.app.service.card(account)).account.override_tier is None

