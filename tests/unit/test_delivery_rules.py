"""Pure parts of delivery: local-time rules, backoff, pacing and routing by recipient."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, time, timedelta

import pytest

from bot.conversation.messages import Reply
from bot.delivery.errors import DeliveryError, ScheduleError
from bot.delivery.pacing import Pacer, PacingLimits
from bot.delivery.retry import RetryPolicy
from bot.delivery.schedule import QuietHours, WeeklySchedule, iso_week
from bot.delivery.senders import Senders, parse_address
from bot.testing.senders import RecordingSender

MONDAY_9_SHANGHAI = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def test_the_digest_is_due_at_nine_on_monday_in_each_persons_own_time_zone() -> None:
    schedule = WeeklySchedule.parse("MON 09:00")

    shanghai = schedule.last_due(MONDAY_9_SHANGHAI, "Asia/Shanghai")
    new_york = schedule.last_due(MONDAY_9_SHANGHAI, "America/New_York")

    assert shanghai == MONDAY_9_SHANGHAI
    assert new_york.astimezone(UTC) == datetime(2026, 2, 23, 14, 0, tzinfo=UTC)
    assert schedule.last_due(MONDAY_9_SHANGHAI - timedelta(seconds=1), "Asia/Shanghai") == (
        MONDAY_9_SHANGHAI - timedelta(days=7)
    )
    assert iso_week(shanghai.date()) == "2026-W10"


def test_an_unknown_time_zone_falls_back_to_utc_instead_of_stopping_digests() -> None:
    due = WeeklySchedule.parse("monday 9:00").last_due(MONDAY_9_SHANGHAI, "Mars/Olympus")
    assert due == datetime(2026, 2, 23, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("text", ["MON", "XYZ 09:00", "MON 25:00", "MON 9", ""])
def test_a_malformed_digest_schedule_names_the_variable(text: str) -> None:
    with pytest.raises(ScheduleError, match="TIERBOT_DIGEST_SCHEDULE"):
        WeeklySchedule.parse(text)


def test_quiet_hours_across_midnight_end_the_next_morning_in_local_time() -> None:
    quiet = QuietHours.parse("22:00-07:00")
    assert quiet == QuietHours(time(22), time(7))

    evening = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    night = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)  # 04:00 in Shanghai
    morning = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)  # 07:00 in Shanghai

    assert quiet.release_time(evening, "Asia/Shanghai") == morning
    assert quiet.release_time(night, "Asia/Shanghai") == morning
    assert quiet.release_time(morning, "Asia/Shanghai") is None
    assert quiet.release_time(evening, "UTC") is None


def test_quiet_hours_within_one_day_and_none_at_all() -> None:
    lunch = QuietHours.parse("12:00-13:30")
    assert lunch is not None
    noon = datetime(2026, 3, 2, 12, 15, tzinfo=UTC)
    assert lunch.release_time(noon, "UTC") == datetime(2026, 3, 2, 13, 30, tzinfo=UTC)
    assert QuietHours.parse("") is None
    assert QuietHours.parse("08:00-08:00") is None
    with pytest.raises(ScheduleError, match="TIERBOT_QUIET_HOURS"):
        QuietHours.parse("late")


def test_backoff_doubles_with_jitter_up_to_a_cap_and_honours_retry_after() -> None:
    policy = RetryPolicy(max_attempts=5, base=timedelta(seconds=10), cap=timedelta(minutes=1),
                         rng=random.Random(1))
    delays = [policy.delay(n) for n in range(1, 6)]
    for n, delay in enumerate(delays, start=1):
        step = min(timedelta(seconds=10) * 2 ** (n - 1), timedelta(minutes=1))
        assert step / 2 <= delay <= step
    assert policy.delay(1, retry_after=120) == timedelta(seconds=120)
    assert not policy.exhausted(4)
    assert policy.exhausted(5)


async def test_pacing_spaces_messages_to_one_recipient_but_not_to_different_ones() -> None:
    pacer = Pacer(PacingLimits(per_recipient_seconds=0.05, per_second_overall=1000))
    loop = asyncio.get_running_loop()
    start = loop.time()
    await pacer.wait_turn("slack:U1")
    await pacer.wait_turn("slack:U2")
    assert loop.time() - start < 0.04
    await pacer.wait_turn("slack:U1")
    assert loop.time() - start >= 0.045


async def test_pacing_holds_the_overall_rate_and_can_be_switched_off() -> None:
    loop = asyncio.get_running_loop()
    paced = Pacer(PacingLimits(per_recipient_seconds=0, per_second_overall=100))
    start = loop.time()
    await asyncio.gather(*(paced.wait_turn(f"telegram:{i}") for i in range(6)))
    assert loop.time() - start >= 0.045
    off = Pacer(enabled=False)
    start = loop.time()
    await asyncio.gather(*(off.wait_turn("telegram:1") for _ in range(100)))
    assert loop.time() - start < 0.02


async def test_the_router_picks_the_sender_by_prefix_and_refuses_unknown_ones() -> None:
    slack, telegram = RecordingSender(), RecordingSender()
    senders = Senders({"slack": slack, "slack-channel": slack})
    senders.register(("telegram", "telegram-chat"), telegram)

    await senders.send("slack-channel:C1", Reply(title="hi"))
    await senders.send("telegram-chat:-100", Reply(title="hi"))

    assert [m.recipient for m in slack.sent] == ["slack-channel:C1"]
    assert [m.recipient for m in telegram.sent] == ["telegram-chat:-100"]
    with pytest.raises(DeliveryError, match="no sender for 'email'") as refused:
        await senders.send("email:x@example.com", Reply(title="hi"))
    assert not refused.value.retryable
    with pytest.raises(DeliveryError, match="malformed"):
        parse_address("slack")
    assert parse_address("telegram:42").is_person
    assert not parse_address("telegram-chat:-42").is_person
