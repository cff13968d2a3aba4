"""Conversation state that expires, and deliveries handled exactly once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.service import TieringService
from bot.store.db import Database
from bot.testing.builders import service_for
from bot.testing.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def service(database: Database, clock: FakeClock) -> TieringService:
    return service_for(database, clock, conversation_timeout=timedelta(minutes=30))


async def test_conversation_state_is_kept_per_chat_and_expires_after_a_quiet_spell(
    service: TieringService, clock: FakeClock
) -> None:
    await service.save_state("slack", "C1", "U1", "qualify", {"step": 1})
    await service.save_state("slack", "C1", "U1", "qualify", {"step": 2, "answers": {"a": "是"}})
    await service.save_state("telegram", "42", "42", "qualify", {"step": 1})

    assert await service.load_state("slack", "C1", "U1") == (
        "qualify",
        {"step": 2, "answers": {"a": "是"}},
    )
    assert await service.load_state("slack", "C2", "U1") is None

    clock.advance(minutes=29)
    await service.clear_state("telegram", "42", "42")
    assert await service.load_state("telegram", "42", "42") is None
    assert await service.load_state("slack", "C1", "U1") is not None

    clock.advance(minutes=2)
    assert await service.load_state("slack", "C1", "U1") is None
    assert await service.prune_states() == 1


async def test_a_delivery_is_first_only_once_even_when_retries_race(
    service: TieringService, clock: FakeClock
) -> None:
    assert await service.first_delivery("slack", "Ev1") is True
    assert await service.first_delivery("slack", "Ev1") is False
    assert await service.first_delivery("telegram", "Ev1") is True

    raced = await asyncio.gather(*(service.first_delivery("telegram", "901") for _ in range(5)))
    assert sorted(raced) == [False] * 4 + [True]

    clock.advance(days=3)
    await service.first_delivery("slack", "Ev2")
    assert await service.prune_deliveries(timedelta(days=1)) == 3
    assert await service.first_delivery("slack", "Ev1") is True
