"""Reading a text file someone wrote (a model, a mapping, facts as JSON): UTF-8, with or
without the byte-order mark Windows editors add, or a clear reason why it cannot be read."""

from __future__ import annotations

from pathlib import Path


class UnreadableText(Exception):
    """``path`` could not be read as UTF-8 text; ``where`` (a line, or empty) and
    ``message`` say why, ready to show."""

    def __init__(self, path: Path, where: str, message: str, *, not_utf8: bool) -> None:
        super().__init__(f"{path}: {where + ': ' if where else ''}{message}")
        self.path = path
        self.where = where
        self.message = message
        self.not_utf8 = not_utf8  # False: the file itself could not be read


def read_utf8(path: Path) -> str:
    """The text of ``path``; UnreadableText naming the line of the first byte that is
    not UTF-8, or why the file cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as error:
        message = f"cannot read the file: {error.strerror or error}"
        raise UnreadableText(path, "", message, not_utf8=False) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        message = f"not UTF-8 text (byte 0x{data[error.start]:02x}); save the file as UTF-8"
        raise UnreadableText(path, f"line {line}", message, not_utf8=True) from None
