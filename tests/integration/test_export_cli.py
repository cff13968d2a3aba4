"""``tierbot export --output``: the file is written whole or not at all."""

from __future__ import annotations

import csv
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


def test_a_tier_is_found_ignoring_case_and_an_unknown_one_is_named_in_one_line(
    tierbot: CliRunner,
) -> None:
    lower = tierbot.invoke(app, ["export", "--tier", "c"])
    unknown = tierbot.invoke(app, ["export", "--tier", "Z"])

    assert lower.exit_code == 0, lower.output
    assert [line.split(",")[0] for line in lower.stdout.splitlines()[1:]] == ["A-1", "A-2"]
    assert unknown.exit_code == 2
    assert unknown.output == "error: --tier: unknown tier 'Z' (tiers: A, B, C); nothing exported\n"


def test_an_unknown_owner_is_named_in_one_line(tierbot: CliRunner) -> None:
    result = tierbot.invoke(app, ["export", "--owner", "Nobody"])

    assert result.exit_code == 2
    assert result.output == "error: --owner: no person named 'Nobody'; nothing exported\n"


def test_text_cells_a_spreadsheet_would_run_as_formulas_are_exported_as_text(
    tierbot: CliRunner, tmp_path: Path
) -> None:
    assert tierbot.invoke(app, ["people", "add", "+Plus Rep"]).exit_code == 0
    book = tmp_path / "formulas.csv"
    book.write_text(
        "external_id,name,owner,aliases,revenue_growth\n"
        'F-1,"=HYPERLINK(""http://evil.example"",""open"")",+Plus Rep,@SUM(A1),-5\n',
        encoding="utf-8",
    )
    assert tierbot.invoke(app, ["import", str(book)]).exit_code == 0
    target = tmp_path / "accounts.csv"

    written = tierbot.invoke(app, ["export", "--output", str(target)])

    assert written.exit_code == 0, written.output
    with target.open(encoding="utf-8-sig", newline="") as stream:
        [row] = [row for row in csv.DictReader(stream) if row["external_id"] == "F-1"]
    assert row["name"] == '\'=HYPERLINK("http://evil.example","open")'
    assert (row["owner"], row["aliases"]) == ("'+Plus Rep", "'@SUM(A1)")
    assert row["revenue_growth"] == "-5"  # a number, not text: left as it is
