"""When to try a failed message again, and when to give up."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter: about base, 2x base, 4x base ... capped.

    The jitter (a random 50-100 % of the step) spreads replicas and recipients that
    failed together, so they do not all come back in the same second. A wait the
    platform asked for (``retry_after``) is a floor, never shortened.
    """

    max_attempts: int = 8
    base: timedelta = timedelta(seconds=5)
    cap: timedelta = timedelta(hours=1)
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def exhausted(self, attempts: int) -> bool:
        """True once ``attempts`` failed attempts are all that is allowed."""
        return attempts >= self.max_attempts

    def delay(self, attempts: int, retry_after: float | None = None) -> timedelta:
        """The wait after the ``attempts``-th failed attempt (1 for the first)."""
        step = min(self.base * (2 ** max(attempts - 1, 0)), self.cap)
        jittered = step * (0.5 + 0.5 * self.rng.random())
        floor = timedelta(seconds=retry_after or 0)
        return jittered if jittered > floor else floor
