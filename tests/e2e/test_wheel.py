"""A built wheel carries what the bot reads at run time besides Python code."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_ships_the_templates_catalogs_models_and_migrations(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("tierbot-*.whl")
    members = set(zipfile.ZipFile(wheel).namelist())

    def shipped(folder: str, pattern: str) -> set[str]:
        files = (ROOT / folder).glob(pattern)
        return {f"bot/{folder}/{path.relative_to(ROOT / folder)}" for path in files}

    for folder, pattern in [
        ("templates", "replies/*.j2"),
        ("templates", "locale/*/LC_MESSAGES/*.po"),
        ("migrations", "env.py"),
        ("migrations", "script.py.mako"),
        ("migrations", "versions/*.py"),
    ]:
        expected = shipped(folder, pattern)
        assert expected, (folder, pattern)
        assert expected <= members, sorted(expected - members)
    assert "scoring/models/default.yaml" in members
