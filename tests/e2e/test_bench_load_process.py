"""The chat benchmarks' load side runs in a child process and answers over pipes."""

from __future__ import annotations

import pytest

from bot.benchmarks import slack_load
from bot.benchmarks.load_process import LoadProcess, LoadProcessError


async def test_the_load_process_answers_each_request_from_its_own_process() -> None:
    async with LoadProcess("bot.benchmarks.slack_load") as load:
        api_url = await load.ask(slack_load.Start("secret"))
        assert api_url.startswith("http://127.0.0.1:")
        assert await load.ask(slack_load.UseNames(["Acme"])) is None


async def test_a_request_the_load_process_cannot_answer_raises_with_its_traceback() -> None:
    async with LoadProcess("bot.benchmarks.slack_load") as load:
        with pytest.raises(LoadProcessError, match="unexpected request"):
            await load.ask("nonsense")
        # The process goes on answering after a failed request.
        assert (await load.ask(slack_load.Start("secret"))).startswith("http://")
