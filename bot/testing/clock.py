"""A clock that only moves when a test moves it."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.clock import ManualClock


class FakeClock(ManualClock):
    def __init__(self, start: datetime | None = None) -> None:
        super().__init__(start or datetime(2026, 3, 2, 9, 0, tzinfo=UTC))  # a Monday morning
