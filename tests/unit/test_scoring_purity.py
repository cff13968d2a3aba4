"""The scoring core stays pure: no bot, database, chat, templating or network code, neither
in its imports nor loaded at runtime."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import scoring

FORBIDDEN = frozenset(
    {
        "bot",
        "sqlalchemy",
        "slack_bolt",
        "slack_sdk",
        "telegram",
        "jinja2",
        "aiohttp",
        "httpx",
    }
)
SCORING_DIR = Path(scoring.__file__).parent
MODULES = sorted(SCORING_DIR.rglob("*.py"))


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name | ast.Attribute)
            and getattr(node.func, "id", getattr(node.func, "attr", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            roots.add(node.args[0].value.split(".")[0])
    return roots


def test_the_scoring_package_has_modules_to_check() -> None:
    assert {p.name for p in MODULES} >= {"engine.py", "bulk.py", "compile.py", "values.py"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.relative_to(SCORING_DIR).as_posix())
def test_no_scoring_module_imports_bot_database_chat_templating_or_network_code(
    path: Path,
) -> None:
    assert _imported_roots(path) & FORBIDDEN == set()


def test_the_import_check_would_notice_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text(
        "import os\nfrom sqlalchemy.orm import Session\nimport slack_sdk.web\n"
        "from . import sibling\nimportlib.import_module('jinja2')\n",
        encoding="utf-8",
    )

    assert _imported_roots(module) & FORBIDDEN == {"sqlalchemy", "slack_sdk", "jinja2"}


def test_importing_scoring_loads_none_of_them_at_runtime() -> None:
    code = (
        "import importlib, json, pkgutil, sys\n"
        "import scoring\n"
        "for info in pkgutil.walk_packages(scoring.__path__, 'scoring.'):\n"
        "    importlib.import_module(info.name)\n"
        f"forbidden = {sorted(FORBIDDEN)!r}\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & set(forbidden))\n"
        "print(json.dumps(loaded))\n"
    )
    project = SCORING_DIR.parent

    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )

    assert json.loads(done.stdout) == []
