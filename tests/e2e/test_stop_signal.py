"""`tierbot run telegram`, stopped the way process managers stop it, shuts down cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bot.testing.fake_telegram import FakeTelegram

TOKEN = "123456:TEST-token"


async def test_sigterm_stops_polling_confirms_the_updates_and_exits_zero(tmp_path: Path) -> None:
    async with FakeTelegram(token=TOKEN) as tg:
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": tg.root_url,
            "SLACK_BOT_TOKEN": "",
            "TIERBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'tierbot.db'}",
        }
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-c", "from bot.cli.main import main; main()", "run", "telegram",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            await tg.wait_for("getUpdates", timeout=60)
            polls = len(tg.calls("getUpdates"))
            bot.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(bot.communicate(), timeout=30)
        finally:
            if bot.returncode is None:
                bot.kill()
                await bot.wait()

    assert bot.returncode == 0, stderr.decode()
    assert b"Traceback" not in stderr
    # PTB's last poll on the way out marks what it fetched as read.
    assert len(tg.calls("getUpdates")) > polls
