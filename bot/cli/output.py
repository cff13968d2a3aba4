"""Shared CLI plumbing: clear errors without tracebacks, reading ``@file`` arguments."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

from bot.text_files import UnreadableText, read_utf8
from scoring import ScoringError

console = Console(highlight=False, soft_wrap=True)
errors = Console(stderr=True, highlight=False)


def fail(message: str, code: int = 2) -> NoReturn:
    errors.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def user_errors(*extra: type[Exception]) -> Iterator[None]:
    """Turn the errors a user can cause into a clear message and exit code 2."""
    caught: tuple[type[Exception], ...] = (ScoringError, FileNotFoundError, *extra)
    try:
        yield
    except caught as error:
        fail(str(error))


def read_json_argument(value: str, what: str) -> Any:
    """A JSON value given inline or as ``@path``; errors name the file and position."""
    source = what
    if value.startswith("@"):
        path = Path(value[1:])
        if not path.is_file():
            fail(f"{path}: no such file")
        source, value = str(path), _read_text(path)
    try:
        return json.loads(value)
    except json.JSONDecodeError as error:
        fail(f"{source}: not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}")


def _read_text(path: Path) -> str:
    """The file's text; JSON files are UTF-8, so other encodings are refused by name."""
    try:
        return read_utf8(path)
    except UnreadableText as error:
        fail(f"{path}: {error.message}")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


Command = Callable[..., Any]
