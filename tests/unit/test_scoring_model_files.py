"""Model files given by path: one that is not UTF-8 or cannot be read is a clear error
naming the file, not a UnicodeDecodeError traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

import scoring
from bot.model_files import open_model, read_model_text
from scoring import ModelError

DEFAULT_TEXT = (Path(scoring.__file__).parent / "models" / "default.yaml").read_text(
    encoding="utf-8"
)


def test_a_model_file_in_gbk_is_refused_naming_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes(DEFAULT_TEXT.encode("gbk"))

    with pytest.raises(ModelError) as caught:
        read_model_text(str(path))

    assert caught.value.source == str(path)
    assert [str(p) for p in caught.value.problems] == [
        "line 7: not UTF-8 text (byte 0xd2); save the file as UTF-8"
    ]
    assert str(caught.value).startswith(f"{path}: 1 problem(s)")


def test_a_model_file_saved_as_utf8_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(DEFAULT_TEXT.encode("utf-8-sig"))

    assert open_model(str(path)).name == "default"


def test_a_model_file_that_cannot_be_read_is_a_model_error(tmp_path: Path) -> None:
    path = tmp_path / "locked.yaml"
    path.write_text(DEFAULT_TEXT, encoding="utf-8")
    path.chmod(0)
    try:
        if _readable(path):
            pytest.skip("running as a user that reads any file")
        with pytest.raises(ModelError, match="cannot read the file: Permission denied"):
            read_model_text(str(path))
    finally:
        path.chmod(0o644)


def _readable(path: Path) -> bool:
    try:
        path.read_bytes()
    except OSError:
        return False
    return True
