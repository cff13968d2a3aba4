"""``tierbot import`` on a SQLite file: summaries, dry runs, and problems with exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bot.cli.main import app
from bot.testing.databases import sqlite_url

FIXTURES = Path(__file__).parent.parent / "fixtures"


@pytest.fixture
def tierbot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("TIERBOT_DATABASE_URL", sqlite_url(tmp_path))
    runner = CliRunner()
    for name in ("Ravi Rep", "Lin Rep"):
        assert runner.invoke(app, ["people", "add", name]).exit_code == 0
    return runner


def run(runner: CliRunner, *args: str | Path) -> Result:
    return runner.invoke(app, [str(arg) for arg in args])


def test_importing_an_export_prints_a_summary_and_a_second_dry_run_finds_nothing_to_do(
    tierbot: CliRunner,
) -> None:
    hubspot = FIXTURES / "hubspot_companies.csv"

    first = run(tierbot, "import", hubspot, "--mapping", "hubspot")
    again = run(tierbot, "import", hubspot, "--mapping", "hubspot", "--dry-run")
    chinese = run(tierbot, "import", FIXTURES / "accounts_gb18030.csv")

    assert first.exit_code == 0, first.output
    assert "ignored columns (not tierbot columns): Create Date, Phone Number" in first.output
    assert "4 rows" in first.output
    assert "4 created, 0 updated, 0 unchanged, 0 skipped" in first.output
    assert again.exit_code == 0, again.output
    assert "0 created, 0 updated, 4 unchanged" in again.output
    assert "dry run: nothing was written" in again.output
    assert chinese.exit_code == 0, chinese.output
    assert "2 created" in chinese.output


def test_a_bad_row_imports_nothing_exits_2_and_names_file_row_and_column(
    tierbot: CliRunner, tmp_path: Path
) -> None:
    book = tmp_path / "book.csv"
    book.write_text("ID,Name,Revenue\nA-1,Apex,1.2M\nA-2,Acme,abc\n", encoding="utf-8")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("columns:\n  Revenue: cumulative_revenue\n", encoding="utf-8")

    refused = run(tierbot, "import", book, "--mapping", mapping)
    skipped = run(tierbot, "import", book, "--mapping", mapping, "--skip-invalid")

    assert refused.exit_code == 2
    assert "nothing imported from book.csv" in refused.output
    assert "book.csv row 3, column Revenue: 'abc' is not a number" in refused.output
    assert skipped.exit_code == 0, skipped.output
    assert "1 created, 0 updated, 0 unchanged, 1 skipped" in skipped.output
    assert "book.csv row 3, column Revenue: 'abc' is not a number" in skipped.output


def test_a_dry_run_lists_the_changes_and_writes_nothing(tierbot: CliRunner) -> None:
    xlsx = FIXTURES / "accounts.xlsx"

    dry = run(tierbot, "import", xlsx, "--dry-run")
    exported = run(tierbot, "export")

    assert dry.exit_code == 0, dry.output
    assert "row 2  1001  Apex Industries: new, tier" in dry.output
    assert "row 4  1002  Globex: new, tier" in dry.output
    assert exported.exit_code == 0
    assert exported.stdout.count("\n") == 1  # the header only
