"""Where tier models come from: the files shipped in ``scoring/models`` or a path given."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from bot.text_files import UnreadableText, read_utf8
from scoring import CompiledModel, ModelError, Problem, load_model

DEFAULT_MODEL = "default"


def builtin_models() -> list[str]:
    folder = resources.files("scoring") / "models"
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


def read_model_text(name_or_path: str) -> tuple[str, str]:
    """Return (text, source name) for a shipped model name or a file path."""
    if name_or_path in builtin_models():
        resource = resources.files("scoring") / "models" / f"{name_or_path}.yaml"
        return resource.read_text(encoding="utf-8"), f"{name_or_path}.yaml"
    path = Path(name_or_path)
    if not path.is_file():
        shipped = ", ".join(builtin_models())
        raise FileNotFoundError(f"{name_or_path}: no such model file (shipped models: {shipped})")
    return _read_utf8(path), str(path)


def _read_utf8(path: Path) -> str:
    """The file's text; a file that cannot be read or is not UTF-8 is a ModelError naming it."""
    try:
        return read_utf8(path)
    except UnreadableText as error:
        raise ModelError(str(path), [Problem(error.where, error.message)]) from None


def open_model(name_or_path: str = DEFAULT_MODEL) -> CompiledModel:
    text, source = read_model_text(name_or_path)
    return load_model(text, source)
