"""``tierbot score`` without a stored account: bad options are named in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.testing.databases import sqlite_url


@pytest.fixture
def tierbot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("TIERBOT_DATABASE_URL", sqlite_url(tmp_path))
    return CliRunner()


@pytest.mark.parametrize(
    ("today", "message"),
    [
        ("2026-02-30", "--today 2026-02-30: not a date (day is out of range for month); "
         "e.g. 2026-02-28"),
        ("2024-02-30", "e.g. 2024-02-29"),
        ("2026-13-01", "--today 2026-13-01: not a date (month must be in 1..12)"),
        ("tomorrow", "--today tomorrow: not a date (expected YYYY-MM-DD)"),
    ],
)  # fmt: skip
def test_a_today_that_is_no_date_is_named_with_the_reason_and_an_example(
    tierbot: CliRunner, today: str, message: str
) -> None:
    result = tierbot.invoke(app, ["score", "--facts", '{"credit": "good"}', "--today", today])

    assert result.exit_code == 2
    assert message in result.output
    assert result.output.count("\n") == 1, result.output


def test_facts_from_a_file_that_is_not_utf8_name_the_file_and_say_how_to_save_it(
    tierbot: CliRunner, tmp_path: Path
) -> None:
    latin = tmp_path / "acme.json"
    latin.write_bytes('{"industry": "énergie"}'.encode("cp1252"))

    result = tierbot.invoke(app, ["score", "--facts", f"@{latin}"])

    assert result.exit_code == 2
    assert f"{latin}: not UTF-8 text" in result.output
    assert "save the file as UTF-8" in result.output
    assert "Traceback" not in result.output


def test_facts_from_a_utf8_file_with_a_byte_order_mark_are_read(
    tierbot: CliRunner, tmp_path: Path
) -> None:
    notepad = tmp_path / "acme.json"
    notepad.write_text('{"credit": "good"}', encoding="utf-8-sig")

    result = tierbot.invoke(app, ["score", "--facts", f"@{notepad}", "--today", "2026-02-28"])

    assert result.exit_code == 0, result.output
    assert "Tier " in result.output
