"""Sending on a fixed schedule, for the chat benchmarks' runs at a rate."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator


async def due_times(count: int, rate: float, max_seconds: float) -> AsyncIterator[float]:
    """The moment each of ``count`` sends is due, ``rate`` per second from now, yielded
    when it comes (at once if already past); none due more than ``max_seconds`` on."""
    start = time.monotonic()
    for number in range(count):
        due = start + number / rate
        if due - start > max_seconds:
            return
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        yield due
