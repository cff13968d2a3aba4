"""At a rate, the chat benchmarks send on schedule and count latency from when each was due."""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import pytest

from bot.benchmarks import slack_load, telegram_load

ANSWER_SECONDS = 0.05  # slower than the interval: a closed loop would fall behind
RATE = 100.0
COUNT = 10


class _SlowChat:
    """Answers each question after ANSWER_SECONDS, one at a time, as a Telegram chat."""

    def __init__(self) -> None:
        self.turn = asyncio.Lock()

    async def ask(self, name: str, tally: telegram_load.Tally, scheduled: float | None) -> None:
        assert scheduled is not None
        async with self.turn:
            tally.first_post = min(tally.first_post, scheduled)
            await asyncio.sleep(ANSWER_SECONDS)
            answered = time.monotonic()
            tally.latencies_ms.append((answered - scheduled) * 1000)
            tally.last_reply = max(tally.last_reply, answered)


async def test_telegram_updates_are_posted_when_due_whatever_the_answers_take() -> None:
    chats: list[Any] = [_SlowChat() for _ in range(COUNT)]
    order = telegram_load.Drive("http://unused", [], COUNT, rate=RATE)

    tally = await telegram_load._drive_at_rate(chats, ["Acme"], order, RATE, random.Random(1))

    assert tally.posted == COUNT
    # Due over 0.09 s, each answered 0.05 s later: a closed loop would take 0.5 s.
    assert tally.last_reply - tally.first_post == pytest.approx(0.14, abs=0.1)
    assert min(tally.latencies_ms) >= ANSWER_SECONDS * 1000


async def test_one_chats_questions_wait_for_each_other_and_the_wait_counts_as_latency() -> None:
    chats: list[Any] = [_SlowChat()]
    order = telegram_load.Drive("http://unused", [], 3, rate=RATE)

    tally = await telegram_load._drive_at_rate(chats, ["Acme"], order, RATE, random.Random(1))

    # Due at 0, 10 and 20 ms, answered at 50, 100 and 150 ms.
    assert tally.latencies_ms == pytest.approx([50, 90, 130], abs=30)


async def test_slack_commands_are_sent_when_due_whatever_the_answers_take(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    load = slack_load._Load(None, None, "", ["Acme"], random.Random(1))  # type: ignore[arg-type]

    async def slow_answer(url: str, scheduled: float | None = None) -> float | None:
        assert scheduled is not None
        await asyncio.sleep(ANSWER_SECONDS)
        return (time.monotonic() - scheduled) * 1000

    monkeypatch.setattr(load, "one", slow_answer)

    driven = await load.drive(slack_load.Drive("http://unused", COUNT, 1, 60.0, rate=RATE))

    assert len(driven.latencies_ms) == COUNT
    assert driven.errors == 0
    assert driven.seconds == pytest.approx(0.14, abs=0.1)
    assert min(driven.latencies_ms) >= ANSWER_SECONDS * 1000
