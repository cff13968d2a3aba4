"""Build hook: a wheel carries templates/ and migrations/ inside the bot package.

They live at the top of the repository (see README), where a checkout and an editable
install read them; an installed wheel has no repository, so bot/paths.py looks for
them under bot/ instead, and this puts them there.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

RESOURCES = ("templates", "migrations")


class BuildWithResources(build_py):
    def run(self) -> None:
        super().run()
        for name in RESOURCES:
            shutil.copytree(
                Path(name),
                Path(self.build_lib) / "bot" / name,
                dirs_exist_ok=True,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            )


setup(cmdclass={"build_py": BuildWithResources})
