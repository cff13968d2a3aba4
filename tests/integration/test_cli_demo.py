"""``tierbot demo`` on a SQLite file that already knows some people."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.testing.databases import sqlite_url


def test_the_demo_gives_accounts_to_a_person_already_named_like_a_demo_rep(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIERBOT_DATABASE_URL", sqlite_url(tmp_path))
    runner = CliRunner()
    assert runner.invoke(app, ["people", "add", "li wei", "--role", "manager"]).exit_code == 0

    loaded = runner.invoke(app, ["demo"])

    assert loaded.exit_code == 0, loaded.output
    assert "Loaded demo data: 300 accounts." in loaded.output
    listed = [line.split() for line in runner.invoke(app, ["people", "list"]).output.splitlines()]
    assert ["li", "wei", "manager"] in listed  # kept as they were, role and all
    assert not any(line[:2] == ["Li", "Wei"] for line in listed)
    theirs = runner.invoke(app, ["export", "--owner", "li wei"])
    assert theirs.exit_code == 0, theirs.output
    assert theirs.stdout.count("\n") > 1  # the header and their accounts
