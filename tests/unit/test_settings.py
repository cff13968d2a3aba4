"""Configuration: a wrong value stops start-up with a message naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings
from bot.store.db import normalize_url


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("garbage", "'garbage' is not a database URL, e.g. postgresql://"),
        ("", "'' is not a database URL"),
        ("mysql://app@db/tierbot", "unsupported database 'mysql': use sqlite or postgresql"),
    ],
)
def test_a_database_url_tierbot_cannot_use_is_named_with_what_to_write(url: str, says: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(database_url=url)
    assert f"TIERBOT_DATABASE_URL: {says}" in str(caught.value)


def test_a_url_pasted_with_another_driver_runs_on_the_asyncio_one() -> None:
    assert normalize_url("postgresql+psycopg2://app@db/tierbot").drivername == "postgresql+asyncpg"
    assert normalize_url("postgres://app@db/tierbot").drivername == "postgresql+asyncpg"
    assert normalize_url("sqlite:///tierbot.db").drivername == "sqlite+aiosqlite"


def test_a_sqlite_file_in_a_folder_that_does_not_exist_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder" / "tierbot.db"
    with pytest.raises(SettingsError) as caught:
        load_settings(database_url=f"sqlite:///{missing}")
    assert f"TIERBOT_DATABASE_URL: the folder of the SQLite file {missing} does not exist" in str(
        caught.value
    )
    assert load_settings(database_url=f"sqlite:///{tmp_path / 'tierbot.db'}")
