"""Stop long-running work cleanly on SIGTERM and Ctrl-C.

Process managers (systemd, Docker, Kubernetes) stop a service with SIGTERM, which by
default ends Python at once: the Telegram updater would not confirm the updates it
fetched, Slack's socket would not close, and replies being written would be cut off.
Here the signal cancels the work instead, so every ``async with`` on the way out runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable, Iterator
from typing import TypeVar

T = TypeVar("T")

SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def on_stop_signals(stop: Callable[[], None]) -> Iterator[None]:
    """Call ``stop`` on SIGTERM or SIGINT inside the block; the defaults return after it."""
    loop = asyncio.get_running_loop()
    installed = []
    for signum in SIGNALS:
        with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
            loop.add_signal_handler(signum, stop)
            installed.append(signum)
    try:
        yield
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


async def until_signalled(work: Awaitable[T]) -> T | None:
    """Run ``work`` to its end, or cancel it on SIGTERM/SIGINT and return None."""
    task = asyncio.ensure_future(work)
    signalled = False

    def stop() -> None:
        nonlocal signalled
        signalled = True
        task.cancel()

    with on_stop_signals(stop):
        try:
            return await task
        except asyncio.CancelledError:
            if not signalled:
                raise  # cancelled by our caller, not by a signal: pass it on
            return None
