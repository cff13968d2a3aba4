"""A fact updated in chat moves a tier; the owner hears of it on Slack and Telegram,
in their own language, once."""

from __future__ import annotations

from pathlib import Path

from bot.conversation.messages import ChatKind, IncomingMessage, Platform
from bot.delivery.bridges import platform_senders
from bot.delivery.testing import outbox_worker
from bot.service.actor import Actor
from bot.settings import Settings
from bot.store.enums import Channel, Language, Role
from bot.testing.fake_slack import FakeSlack
from bot.testing.fake_telegram import FakeTelegram
from bot.testing.scenario import scenario


def ann_says(text: str) -> IncomingMessage:
    return IncomingMessage(Platform.CONSOLE, "ann", "console", text, ChatKind.PRIVATE)


def chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


async def test_a_tier_change_made_in_chat_reaches_each_owner_on_both_platforms_in_their_language(
    tmp_path: Path,
) -> None:
    async with scenario(tmp_path) as world, FakeSlack() as slack, FakeTelegram() as telegram:
        service, conversation = world.app.service, world.app.conversation
        bob = Actor(world.people["Bob"], "Bob", Role.REP, "console:bob", Channel.CONSOLE)
        await service.update_preferences(bob, language=Language.ZH)
        settings = Settings(
            _env_file=None,
            SLACK_BOT_TOKEN="xoxb-test",
            SLACK_API_URL=slack.api_url,
            TELEGRAM_BOT_TOKEN="123456:test-token",
            TELEGRAM_API_URL=telegram.root_url,
        )
        async with platform_senders(settings) as senders:
            worker = outbox_worker(world.app.database, world.clock, senders)
            await worker.run_once()  # the scenario's "newly graded" alerts
            slack_before = len(slack.posted_messages())
            telegram_before = len(telegram.sent_messages())
            # Ann (English) owns Acme; Bob (Chinese) owns Globex. Ann, a manager, moves both.
            for text in (
                "set Acme Corporation revenue_growth=60% orders_per_year=24",
                "set Globex Logistics cumulative_revenue=12M credit_standing=excellent "
                "orders_per_year=20 revenue_growth=40% profit_margin=25%",
            ):
                [reply] = await conversation.handle(ann_says(text))
                assert "tier stays" not in (reply.footer or "")  # each change moves a tier
            first = await worker.run_once()
            again = await worker.run_once()

        assert first.messages == 4  # two owners, each on Slack and on Telegram
        assert again.messages == 0  # sent once: nothing is left to send
        posted = [m["text"] for m in slack.posted_messages()[slack_before:]]
        [to_ann] = [text for text in posted if "Acme" in text]
        [to_bob] = [text for text in posted if "Globex" in text]
        assert "B → A" in to_ann
        assert not chinese(to_ann)
        assert chinese(to_bob)
        sent = telegram.sent_messages()[telegram_before:]
        assert {m["chat"]["id"] for m in sent} == {5001, 5002}
        assert all(chinese(m["text"]) == (m["chat"]["id"] == 5002) for m in sent)
