"""Pacing sends so the platforms' flood limits are never hit in the first place.

Slack allows about one message per second per channel, Telegram one per second per
chat and about 30 per second overall; a 429 costs more than waiting. Each send
reserves the next free slot for its recipient and in the global stream, then sleeps
until that slot: reservations are made without awaiting, so concurrent sends on one
event loop never take the same slot. Pacing uses the event loop's monotonic time,
not the bot's clock, because it is about real seconds on the wire.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PacingLimits:
    per_recipient_seconds: float = 1.0
    per_second_overall: float = 30.0


class Pacer:
    def __init__(self, limits: PacingLimits | None = None, *, enabled: bool = True) -> None:
        self.limits = limits or PacingLimits()
        self.enabled = enabled
        self._next_for: dict[str, float] = {}
        self._next_overall = 0.0

    async def wait_turn(self, recipient: str) -> None:
        """Return when a message to ``recipient`` may go out."""
        if not self.enabled:
            return
        loop = asyncio.get_running_loop()
        delay = self._reserve(recipient, loop.time())
        if delay > 0:
            await asyncio.sleep(delay)

    def _reserve(self, recipient: str, now: float) -> float:
        slot = max(now, self._next_for.get(recipient, now), self._next_overall)
        self._next_for[recipient] = slot + self.limits.per_recipient_seconds
        self._next_overall = slot + 1.0 / self.limits.per_second_overall
        self._forget_idle(now)
        return slot - now

    def _forget_idle(self, now: float) -> None:
        # Recipients whose slot has passed need no memory; keeps the map small.
        if len(self._next_for) > 10_000:
            self._next_for = {r: t for r, t in self._next_for.items() if t > now}
