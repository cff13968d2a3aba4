"""Time as a dependency: the real clock in production, a fake one in tests (bot.testing.clock)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def local_today(clock: Clock, time_zone: str = "UTC") -> date:
    """Today's date where a person is (a tier review is due 'today' in their zone)."""
    return clock.now().astimezone(ZoneInfo(time_zone)).date()
