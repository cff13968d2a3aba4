"""``tierbot outbox`` and ``tierbot digest preview`` on a SQLite file, through Typer."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bot.cli import delivery_cmds
from bot.delivery.testing import add_person, alert_payload, alert_row
from bot.store.db import Database
from bot.store.enums import Language, OutboxStatus, Role
from bot.store.migrate import upgrade_async
from bot.testing.databases import sqlite_url


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[typer.Typer, str]:
    url = sqlite_url(tmp_path)
    monkeypatch.setenv("TIERBOT_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)  # no stray .env

    async def populate() -> None:
        await upgrade_async(url)
        database = Database(url)
        now = datetime(2026, 3, 2, 9, tzinfo=UTC)
        async with database.session() as session:
            await add_person(session, "Mei", Role.MANAGER, telegram="8001", language=Language.ZH,
                             time_zone="Asia/Shanghai")
            dead = alert_row("slack-channel:C0GONE", alert_payload(1, "Acme", "B", "A"), now)
            dead.status, dead.last_error = OutboxStatus.DEAD, "slack: channel_not_found"
            session.add(dead)
            await session.commit()
        await database.dispose()

    asyncio.run(populate())
    app, bench = typer.Typer(), typer.Typer()
    delivery_cmds.register(app, bench)
    return app, url


def test_outbox_lists_dead_messages_with_their_reason_and_retries_them(
    cli: tuple[typer.Typer, str],
) -> None:
    app, _ = cli
    runner = CliRunner()

    listed = runner.invoke(app, ["outbox", "list"])
    assert listed.exit_code == 0, listed.output
    assert "1  dead  alert  slack-channel:C0GONE  attempts 0" in listed.output
    assert "slack: channel_not_found" in listed.output

    assert "1 dead message(s)" in runner.invoke(app, ["outbox", "retry-dead"]).output
    assert "pending" in runner.invoke(app, ["outbox", "list"]).output
    missing = runner.invoke(app, ["outbox", "retry", "999"])
    assert missing.exit_code == 2


def test_digest_preview_prints_the_digest_in_the_persons_language_and_writes_the_chart(
    cli: tuple[typer.Typer, str], tmp_path: Path
) -> None:
    app, _ = cli
    chart = tmp_path / "digest.png"

    result = CliRunner().invoke(app, ["digest", "preview", "--as", "Mei", "--png", str(chart)])

    assert result.exit_code == 0, result.output
    assert "周报" in result.output
    assert chart.read_bytes().startswith(b"\x89PNG")
    unknown = CliRunner().invoke(app, ["digest", "preview", "--as", "Nobody"])
    assert unknown.exit_code == 2
