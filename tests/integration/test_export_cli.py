"""``tierbot export --output``: the file is written whole or not at all."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.testing.databases import sqlite_url


@pytest.fixture
def tierbot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("TIERBOT_DATABASE_URL", sqlite_url(tmp_path))
    book = tmp_path / "book.csv"
    book.write_text("external_id,name\nA-1,Apex\nA-2,Acme\n", encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(app, ["import", str(book)]).exit_code == 0
    return runner


def test_an_export_replaces_the_file_only_once_every_row_is_written(
    tierbot: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "accounts.csv"
    target.write_text("last week's export\n", encoding="utf-8")

    def disk_full(*_: object) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("bot.service.exports.reasons", disk_full)
    failed = tierbot.invoke(app, ["export", "--output", str(target)])

    assert failed.exit_code == 2
    assert "cannot write the export: No space left on device" in failed.output
    assert target.read_text(encoding="utf-8") == "last week's export\n"
    assert sorted(p.name for p in tmp_path.iterdir() if "accounts" in p.name) == ["accounts.csv"]

    monkeypatch.undo()
    monkeypatch.setenv("TIERBOT_DATABASE_URL", sqlite_url(tmp_path))
    written = tierbot.invoke(app, ["export", "--output", str(target)])
    assert written.exit_code == 0, written.output
    assert target.read_text(encoding="utf-8-sig").splitlines()[1].startswith("A-1,Apex,")


def test_an_export_to_a_directory_says_to_name_a_file(tierbot: CliRunner, tmp_path: Path) -> None:
    result = tierbot.invoke(app, ["export", "--output", str(tmp_path)])

    assert result.exit_code == 2
    assert f"{tmp_path} is a directory: name the file to write" in result.output
