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


def test_a_file_without_an_id_column_is_one_header_problem_not_one_per_row(
    tierbot: CliRunner, tmp_path: Path
) -> None:
    book = tmp_path / "book.csv"
    book.write_text("Foo,Name\n" + "".join(f"{i},Acme {i}\n" for i in range(3000)), "utf-8")

    result = run(tierbot, "import", book)

    assert result.exit_code == 2
    assert result.output.count("\n") == 2, result.output  # the headline and one problem
    assert "book.csv header: no column for the CRM id" in result.output


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "unsupported format"),
        ("locked.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "unsupported format"),
        ("book.ods", b"PK\x03\x04" + bytes(100), "unsupported format: save it as .xlsx or .csv"),
        ("book.csv", b"PK\x03\x04" + bytes(100), "a zip file, not CSV text"),
    ],
)
def test_a_spreadsheet_format_we_cannot_read_says_so(
    tierbot: CliRunner, tmp_path: Path, name: str, content: bytes, problem: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)

    result = run(tierbot, "import", path)

    assert result.exit_code == 2
    assert f"{path}: {problem}" in result.output
    assert "Traceback" not in result.output


def test_a_directory_given_as_the_file_is_called_a_directory(
    tierbot: CliRunner, tmp_path: Path
) -> None:
    result = run(tierbot, "import", tmp_path)

    assert result.exit_code == 2
    assert f"{tmp_path}: is a directory, not a file" in result.output


def test_a_negative_count_of_changes_to_show_is_refused_and_nothing_is_imported(
    tierbot: CliRunner,
) -> None:
    refused = run(tierbot, "import", FIXTURES / "accounts.xlsx", "--dry-run", "--show", "-1")

    assert refused.exit_code == 2
    assert refused.output == "error: --show -1: not a count of lines to list; give 0 or more\n"
    assert run(tierbot, "export").stdout.count("\n") == 1  # the header only


def test_the_progress_says_it_checks_rows_and_writes_in_steps(tierbot: CliRunner) -> None:
    result = run(tierbot, "import", FIXTURES / "accounts.xlsx")

    assert result.exit_code == 0, result.output
    assert "checking (rows)" in result.output
    assert "writing (steps)" in result.output
