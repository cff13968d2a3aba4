"""``tierbot db``: schema commands say what is wrong in a line, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.main import app
from bot.testing.databases import sqlite_url


@pytest.mark.parametrize("command", ["upgrade", "downgrade"])
def test_an_unknown_revision_is_named(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIERBOT_DATABASE_URL", sqlite_url(tmp_path))

    result = CliRunner().invoke(app, ["db", command, "nonsense"])

    assert result.exit_code == 2
    assert "Can't locate revision identified by 'nonsense'" in result.output
