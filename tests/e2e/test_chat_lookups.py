"""Chat finds the account meant: by name, by external id in any case, by button id."""

from __future__ import annotations

from pathlib import Path

from bot.conversation.messages import ChatKind, IncomingMessage, Platform
from bot.rendering.plain import render_plain
from bot.service.actor import Actor
from bot.testing.scenario import scenario


def said_by(user: str, text: str) -> IncomingMessage:
    return IncomingMessage(Platform.CONSOLE, user, "console", text, ChatKind.PRIVATE)


async def test_an_external_id_typed_in_another_case_shows_the_account(tmp_path: Path) -> None:
    async with scenario(tmp_path) as world:
        await world.app.service.create_account(Actor.cli(), "Kovira Foods", external_id="CRM-0042")
        [reply] = await world.app.conversation.handle(said_by("ann", "tier crm-0042"))
        assert render_plain(reply).text.startswith("Kovira Foods · Tier")


async def test_an_id_too_long_to_be_ours_is_an_account_not_found_not_a_fault(
    tmp_path: Path,
) -> None:
    async with scenario(tmp_path) as world:
        [reply] = await world.app.conversation.handle(
            said_by("ann", "tier #99999999999999999999999")
        )
        assert render_plain(reply).text.startswith("No account matches “#99999999999999999999999”")


async def test_a_name_stored_in_full_width_letters_is_found_as_typed(tmp_path: Path) -> None:
    async with scenario(tmp_path) as world:
        await world.app.service.create_account(Actor.cli(), "ＴＣＬ科技")
        [reply] = await world.app.conversation.handle(said_by("ann", "tier tcl科技"))
        assert render_plain(reply).text.startswith("ＴＣＬ科技 · Tier")
