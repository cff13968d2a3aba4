"""Work that runs after Slack was acknowledged, tracked so that shutdown can let it finish.

bolt runs each listener in a task nobody awaits; without this, stopping the adapter could
cut a reply off half-way, or leave a task pending when the event loop closes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

log = logging.getLogger(__name__)


class InFlight:
    def __init__(self) -> None:
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def running(self) -> int:
        return self._running

    @asynccontextmanager
    async def track(self, what: str) -> AsyncIterator[None]:
        """Count the block as running; log (never raise) what fails inside it.

        Slack was already told "ok", so an error can only be logged here: the conversation
        core turns every error a person can cause into a reply before this point.
        """
        self._running += 1
        self._idle.clear()
        try:
            yield
        except Exception:
            log.exception("Slack %s failed", what)
        finally:
            self._running -= 1
            if self._running == 0:
                self._idle.set()

    async def wait_idle(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for running work to finish; False if some is still running."""
        try:
            await asyncio.wait_for(self._idle.wait(), seconds)
        except TimeoutError:
            return False
        return True
