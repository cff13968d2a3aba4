"""The README's main command: with no chat tokens, `tierbot run` loads demo data and chats."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app

NO_TOKENS = {"SLACK_BOT_TOKEN": "", "TELEGRAM_BOT_TOKEN": ""}


def test_run_without_tokens_loads_demo_data_and_opens_the_console(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the default database is ./tierbot.db
    for name in NO_TOKENS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("TIERBOT_DATABASE_URL", raising=False)
    result = CliRunner().invoke(app, ["run"], input="mine\nmovers 30d\nquit\n")
    assert result.exit_code == 0, result.output
    assert "Loaded demo data: 300 accounts." in result.output
    assert "My accounts (" in result.output
    assert "Tier moves in the last 30 days" in result.output
    assert (tmp_path / "tierbot.db").exists()

    again = CliRunner().invoke(app, ["run"], input="quit\n")
    assert again.exit_code == 0
    assert "Loaded demo data" not in again.output  # demo data goes only into an empty database


def test_chat_as_a_known_person_speaks_with_their_role_not_as_a_newcomer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TIERBOT_DATABASE_URL", raising=False)
    runner = CliRunner()
    assert runner.invoke(app, ["people", "add", "Wang Fang", "--role", "rep"]).exit_code == 0

    first = runner.invoke(app, ["chat", "--as", "Wang Fang"], input="whoami\nquit\n")
    again = runner.invoke(app, ["chat", "--as", "Wang Fang"], input="whoami\nquit\n")

    assert first.exit_code == 0, first.output
    assert "Role:          rep" in first.output
    assert "Role:          rep" in again.output
    [listed] = runner.invoke(app, ["people", "list"]).output.splitlines()  # one person
    assert listed.split()[:3] == ["Wang", "Fang", "rep"]
