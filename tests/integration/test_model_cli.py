"""``tierbot model preview`` and ``tierbot model activate`` on a SQLite file."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.model_files import read_model_text
from bot.testing.builders import A_FACTS, B_FACTS, C_FACTS
from bot.testing.databases import sqlite_url

DEFAULT, _ = read_model_text("default")
# A's bar from 75 to 95: the A account (91.5) drops to B, nothing else moves.
STRICTER = DEFAULT.replace("version: 1", "version: 2", 1).replace("min: 75", "min: 95", 1)


@pytest.fixture
def tierbot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A database with three accounts graded A, B and C."""
    monkeypatch.setenv("TIERBOT_DATABASE_URL", sqlite_url(tmp_path))
    book = tmp_path / "book.csv"
    fields = sorted({*A_FACTS, *B_FACTS, *C_FACTS})
    with book.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["external_id", "name", *fields])
        for name, facts in [("Apex", A_FACTS), ("Acme", B_FACTS), ("Globex", C_FACTS)]:
            writer.writerow([name.upper(), name, *(facts.get(f, "") for f in fields)])
    runner = CliRunner()
    imported = runner.invoke(app, ["import", str(book)])
    assert imported.exit_code == 0, imported.output
    return runner


def test_a_preview_lists_the_moves_and_changes_nothing(tierbot: CliRunner, tmp_path: Path) -> None:
    model = tmp_path / "stricter.yaml"
    model.write_text(STRICTER, encoding="utf-8")

    preview = tierbot.invoke(app, ["model", "preview", str(model)])

    assert preview.exit_code == 0, preview.output
    assert "3 accounts: 0 up, 1 down" in preview.output
    assert "Apex: A -> B (" in preview.output
    exported = tierbot.invoke(app, ["export", "--tier", "A"])
    assert "APEX" in exported.stdout


def test_activation_asks_first_then_rescores_with_a_summary(
    tierbot: CliRunner, tmp_path: Path
) -> None:
    model = tmp_path / "stricter.yaml"
    model.write_text(STRICTER, encoding="utf-8")

    declined = tierbot.invoke(app, ["model", "activate", str(model)], input="n\n")
    accepted = tierbot.invoke(app, ["model", "activate", str(model)], input="y\n")

    assert declined.exit_code == 1  # aborted at the question
    assert "1 down" in declined.output
    assert accepted.exit_code == 0, accepted.output
    assert "activated default v2: 3 accounts rescored" in accepted.output
    assert "1 changed tier (0 up, 1 down)" in accepted.output
    assert "APEX" not in tierbot.invoke(app, ["export", "--tier", "A"]).stdout


def test_a_broken_model_is_refused_with_file_and_key_path(
    tierbot: CliRunner, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(STRICTER.replace("weight: 30\n", "weight: lots\n", 1), encoding="utf-8")

    for command in (["preview"], ["activate", "--yes"]):
        refused = tierbot.invoke(app, ["model", *command, str(broken)])

        assert refused.exit_code == 2
        assert f"{broken} is not a valid model" in refused.output
        assert f"{broken} sub_scores.potential.weight: Input should be a valid number" in (
            refused.output
        )


def test_score_shows_a_stored_account_and_what_a_change_would_do_without_saving_it(
    tierbot: CliRunner,
) -> None:
    stored = tierbot.invoke(app, ["score", "--account", "acme", "--json"])
    trial = tierbot.invoke(
        app, ["score", "--account", "ACME", "--facts", '{"cumulative_revenue": "20M"}', "--json"]
    )

    assert stored.exit_code == 0, stored.output
    assert trial.exit_code == 0, trial.output
    before, after = json.loads(stored.stdout), json.loads(trial.stdout)
    assert before["account"]["name"] == after["account"]["name"] == "Acme"
    assert before["result"]["total"] == pytest.approx(before["account"]["stored_score"])
    assert after["result"]["total"] > before["result"]["total"]
    assert after["account"]["what_if"] is True
    again = json.loads(tierbot.invoke(app, ["score", "--account", "acme", "--json"]).stdout)
    assert again == before  # nothing was saved


def test_score_of_an_account_names_what_was_wrong(tierbot: CliRunner) -> None:
    unknown = tierbot.invoke(app, ["score", "--account", "aplex"])
    bad = tierbot.invoke(app, ["score", "--account", "apex", "--facts", '{"turnover": "1M"}'])
    neither = tierbot.invoke(app, ["score"])

    assert unknown.exit_code == 2
    assert "did you mean: Apex?" in unknown.output
    assert bad.exit_code == 2
    assert "turnover: unknown field" in bad.output
    assert neither.exit_code == 2
    assert "--account" in neither.output


def test_regrade_scores_every_account_as_of_today_and_says_what_moved(
    tierbot: CliRunner,
) -> None:
    first = tierbot.invoke(app, ["model", "regrade"])
    second = tierbot.invoke(app, ["model", "regrade"])

    assert first.exit_code == 0, first.output
    assert "re-graded 3 accounts as of today" in first.output
    assert "0 scores moved, 0 changed tier" in second.output


def test_a_changed_model_under_a_stored_version_is_called_valid_and_told_to_raise_the_version(
    tierbot: CliRunner, tmp_path: Path
) -> None:
    same_version = tmp_path / "same_version.yaml"
    same_version.write_text(STRICTER.replace("version: 2", "version: 1", 1), encoding="utf-8")

    refused = tierbot.invoke(app, ["model", "activate", "--yes", str(same_version)])

    assert refused.exit_code == 2
    assert "is not a valid model" not in refused.output
    assert f"{same_version} is a valid model but cannot be activated" in refused.output
    assert "default v1 is already stored with other content; raise the version" in refused.output
    assert "APEX" in tierbot.invoke(app, ["export", "--tier", "A"]).stdout  # nothing changed


def test_activation_lists_the_moves_before_asking(tierbot: CliRunner, tmp_path: Path) -> None:
    model = tmp_path / "stricter.yaml"
    model.write_text(STRICTER, encoding="utf-8")

    declined = tierbot.invoke(app, ["model", "activate", str(model)], input="n\n")

    assert "Apex: A -> B (" in declined.output
    assert "more" not in declined.output


def test_a_negative_count_of_moves_to_list_is_refused(tierbot: CliRunner, tmp_path: Path) -> None:
    model = tmp_path / "stricter.yaml"
    model.write_text(STRICTER, encoding="utf-8")

    refused = tierbot.invoke(app, ["model", "preview", str(model), "--moves", "-1"])

    assert refused.exit_code == 2
    assert refused.output == "error: --moves -1: not a count of lines to list; give 0 or more\n"
