"""Where the bot's non-Python resources live, in a checkout and in an installed wheel.

Each resource directory is looked up in this order:

1. an environment variable (``TIERBOT_TEMPLATES_DIR``, ``TIERBOT_MIGRATIONS_DIR``);
   when it is set it must point at an existing directory;
2. ``<repo root>/<name>``, the source checkout (repo root = the directory holding
   the ``bot`` package);
3. ``bot/<name>`` inside the installed package, where a wheel build puts it.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_REPO_ROOT = _PACKAGE_DIR.parent


class ResourceDirNotFoundError(FileNotFoundError):
    """None of the places a resource directory may live holds it."""


def templates_dir() -> Path:
    """The directory of Jinja2 templates and gettext catalogs."""
    return _resource_dir("templates", "TIERBOT_TEMPLATES_DIR")


def migrations_dir() -> Path:
    """The Alembic migrations directory."""
    return _resource_dir("migrations", "TIERBOT_MIGRATIONS_DIR")


def _resource_dir(name: str, env_var: str) -> Path:
    override = os.environ.get(env_var)
    if override:
        path = Path(override).expanduser()
        if path.is_dir():
            return path
        # A configured path that is wrong must fail loudly rather than silently
        # fall back to another copy of the files.
        raise ResourceDirNotFoundError(
            f"{env_var} is set to {str(path)!r}, which is not a directory"
        )

    tried: list[str] = []
    # The parent of the package is site-packages in an installed wheel, where a
    # stray "templates" or "migrations" directory may belong to another
    # distribution; only trust it when it is a source checkout.
    if (_REPO_ROOT / "pyproject.toml").is_file():
        candidate = _REPO_ROOT / name
        if candidate.is_dir():
            return candidate
        tried.append(str(candidate))
    else:
        tried.append(f"{_REPO_ROOT / name} (skipped: {_REPO_ROOT} is not a source checkout)")

    packaged = _PACKAGE_DIR / name
    if packaged.is_dir():
        return packaged
    tried.append(str(packaged))

    raise ResourceDirNotFoundError(
        f"cannot find the {name} directory; set {env_var} or create one of: " + ", ".join(tried)
    )
