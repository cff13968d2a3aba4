"""``tierbot people`` on a SQLite file: clear refusals that change nothing, and emails shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bot.cli.main import app
from bot.testing.databases import sqlite_url


@pytest.fixture
def tierbot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("TIERBOT_DATABASE_URL", sqlite_url(tmp_path))
    runner = CliRunner()
    added = runner.invoke(app, ["people", "add", "Ann", "--slack", "U1", "--telegram", "42"])
    assert added.exit_code == 0, added.output
    return runner


def people(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(app, ["people", *args])


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        (["--slack", "U1"], "slack: 'U1' already belongs to Ann"),
        (["--telegram", "42"], "telegram: '42' already belongs to Ann"),
        (["--telegram", "abc"], "telegram: 'abc' is not a number"),
        (["--telegram", "-100123"], "telegram: '-100123' is a group chat id, not a user"),
        (["--email", "notanemail"], "email: 'notanemail' is not an email address"),
    ],
)
def test_adding_someone_with_a_taken_or_malformed_chat_id_or_email_says_which_and_adds_nobody(
    tierbot: CliRunner, options: list[str], problem: str
) -> None:
    refused = people(tierbot, "add", "Bob", *options)

    assert refused.exit_code == 2
    assert problem in refused.output
    assert "name" not in refused.output  # the name Bob is free: it is not blamed
    assert refused.output.count("\n") == 1, refused.output
    assert [line.split()[0] for line in people(tierbot, "list").output.splitlines()] == ["Ann"]


def test_the_list_shows_each_persons_email(tierbot: CliRunner) -> None:
    added = people(tierbot, "add", "Bob", "--email", "bob@example.com")

    listed = people(tierbot, "list")

    assert added.exit_code == 0, added.output
    assert [line.split() for line in listed.output.splitlines()] == [
        ["Ann", "rep", "slack:U1,", "telegram:42"],
        ["Bob", "rep", "bob@example.com"],
    ]
