"""CSV files as Excel and CRMs write them: encodings, delimiters, and broken quoting."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.importing import MappingError, UnreadableFile, read_accounts
from bot.model_files import open_model
from scoring import CompiledModel


@pytest.fixture(scope="module")
def model() -> CompiledModel:
    return open_model("default")


def csv_file(tmp_path: Path, content: bytes) -> Path:
    path = tmp_path / "book.csv"
    path.write_bytes(content)
    return path


def names(path: Path, model: CompiledModel) -> list[object]:
    return [row.values["name"] for row in read_accounts(path, model).rows]


def problems(path: Path, model: CompiledModel) -> list[str]:
    with pytest.raises(UnreadableFile) as caught:
        read_accounts(path, model)
    assert caught.value.source == str(path)
    return [str(problem) for problem in caught.value.problems]


@pytest.mark.parametrize(
    "name",
    ["Renée Corp", "Café Müller GmbH", "Fundação São João", "Größe Straße AG", "Peña Nieto"],
)
def test_a_windows_1252_file_keeps_its_accents(
    model: CompiledModel, tmp_path: Path, name: str
) -> None:
    path = csv_file(tmp_path, f"ID,Name\nA-1,{name}\n".encode("cp1252"))

    assert names(path, model) == [name]


def test_a_gbk_file_that_also_decodes_as_windows_1252_stays_chinese(
    model: CompiledModel, tmp_path: Path
) -> None:
    # Every byte here means something in Windows-1252 too: »ªÐÅÖÆÔì...
    content = "编号,客户名称\nCN-1,华信制造有限公司\nCN-2,喆堃科技\n".encode("gbk")
    content.decode("cp1252")  # the ambiguity this test is about
    path = csv_file(tmp_path, content)

    assert names(path, model) == ["华信制造有限公司", "喆堃科技"]


def test_a_truncated_utf16_file_says_it_cannot_be_decoded(
    model: CompiledModel, tmp_path: Path
) -> None:
    path = csv_file(tmp_path, b"\xff\xfeh\x00i")

    (problem,) = problems(path, model)

    assert problem.startswith("encoding: cannot decode UTF-16 text at byte 4")


def test_a_cell_longer_than_the_csv_limit_names_its_row(
    model: CompiledModel, tmp_path: Path
) -> None:
    path = csv_file(tmp_path, b"ID,Name\nA-1,Apex\nA-2," + b"x" * 140_000 + b"\n")

    assert problems(path, model) == [
        'row 3: a cell longer than 131,072 characters: is a quote (") opened and never closed?'
    ]


def test_an_unclosed_quote_is_reported_at_the_row_it_opens(
    model: CompiledModel, tmp_path: Path
) -> None:
    path = csv_file(tmp_path, b'ID,Name\nA-1,"Apex\nA-2,Acme\nA-3,Globex\n')

    assert problems(path, model) == [
        'row 2: a quote (") is opened and never closed: the rest of the file is in this cell'
    ]


def test_text_after_a_closing_quote_is_read_as_excel_reads_it(
    model: CompiledModel, tmp_path: Path
) -> None:
    path = csv_file(tmp_path, b'ID,Name\nA-1,"Apex" Inc\nA-2,"Acme, Ltd"\n')

    assert names(path, model) == ["Apex Inc", "Acme, Ltd"]


def test_a_row_with_more_cells_than_the_header_is_refused_with_its_row(
    model: CompiledModel, tmp_path: Path
) -> None:
    path = csv_file(tmp_path, b"ID,Name,Owner\nA-1,Apex, Inc,Ravi Rep\nA-2,Acme,\nA-3,Globex,,\n")

    assert problems(path, model) == [
        "row 2: 4 cells, but the header names 3 columns; "
        "a value containing a comma must be in double quotes"
    ]


def test_a_semicolon_file_whose_header_quotes_commas_is_split_on_semicolons(
    model: CompiledModel, tmp_path: Path
) -> None:
    # As many commas as semicolons in the header line: counting them cannot tell.
    path = csv_file(tmp_path, b'ID;Name;"Notes, free, long"\nA-1;Apex;a, b\n')

    mapped = read_accounts(path, model)

    assert [dict(row.values) for row in mapped.rows] == [{"external_id": "A-1", "name": "Apex"}]
    assert mapped.ignored == ("Notes, free, long",)


def test_a_one_column_file_is_read_without_a_delimiter(
    model: CompiledModel, tmp_path: Path
) -> None:
    path = csv_file(tmp_path, b"Name\nApex\n")

    with pytest.raises(MappingError, match="no column for the CRM id"):
        read_accounts(path, model)


def test_a_nul_character_in_an_imported_cell_names_its_row_and_column(
    model: CompiledModel, tmp_path: Path
) -> None:
    path = csv_file(tmp_path, b"ID,Name,Notes\nA-1,Ap\x00ex,\nA-2,Acme,free\x00text\n")

    assert problems(path, model) == [
        "row 2, column Name: contains a NUL character (\\x00); remove it and export the file again"
    ]
