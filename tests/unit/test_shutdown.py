"""SIGTERM and Ctrl-C stop the bot's long-running work cleanly instead of killing it."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from bot.shutdown import until_signalled


async def _serve(closed: list[str]) -> str:
    try:
        await asyncio.Event().wait()
    finally:
        closed.append("closed")  # what `async with` blocks do on the way out
    return "never"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_a_stop_signal_cancels_the_work_and_lets_it_clean_up(signum: int) -> None:
    closed: list[str] = []
    loop = asyncio.get_running_loop()
    loop.call_later(0.05, os.kill, os.getpid(), signum)

    assert await until_signalled(_serve(closed)) is None
    assert closed == ["closed"]


async def test_work_that_ends_by_itself_returns_its_result() -> None:
    async def answer() -> int:
        return 42

    assert await until_signalled(answer()) == 42


async def test_the_signal_handlers_are_removed_afterwards() -> None:
    async def nothing() -> None:
        return None

    await until_signalled(nothing())
    loop = asyncio.get_running_loop()
    assert not loop.remove_signal_handler(signal.SIGTERM)


async def test_cancelling_from_outside_is_passed_on_not_swallowed() -> None:
    closed: list[str] = []
    outer = asyncio.ensure_future(until_signalled(_serve(closed)))
    await asyncio.sleep(0.01)
    outer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await outer
    assert closed == ["closed"]
