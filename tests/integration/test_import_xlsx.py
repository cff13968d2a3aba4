"""XLSX files as scripts and spreadsheet programs write them: sizes, formulas, percentages."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import openpyxl
import pytest

from bot.importing import UnreadableFile, read_accounts
from bot.model_files import open_model
from scoring import CompiledModel

SHEET_XML = "xl/worksheets/sheet1.xml"


@pytest.fixture(scope="module")
def model() -> CompiledModel:
    return open_model("default")


def workbook(
    path: Path, rows: Sequence[Sequence[object]], formats: dict[str, str] | None = None
) -> Path:
    """An XLSX file as openpyxl writes it: formulas without results, as scripts make them."""
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    for coordinate, number_format in (formats or {}).items():
        sheet[coordinate].number_format = number_format
    book.save(path)
    return path


def rewritten(path: Path, edits: dict[str, Callable[[str], str]]) -> Path:
    """``path`` with some of its XML parts edited, as other programs would have written them."""
    edited = path.with_name(f"edited-{path.name}")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(edited, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename in edits:
                data = edits[item.filename](data.decode("utf-8")).encode("utf-8")
            target.writestr(item, data)
    return edited


def as_saved_by_excel(xml: str) -> str:
    """The formula results Excel stores when it saves (here: C2 is 2000, D2 is "")."""
    xml = re.sub(r'<c r="C2"([^>]*)><f>([^<]*)</f><v ?/>', r'<c r="C2"\1><f>\2</f><v>2000</v>', xml)
    return re.sub(
        r'<c r="D2"([^>]*)><f>([^<]*)</f><v ?/>', r'<c r="D2"\1 t="str"><f>\2</f><v></v>', xml
    )


def test_a_sheet_whose_dimension_tag_is_wrong_is_read_whole(
    model: CompiledModel, tmp_path: Path
) -> None:
    source = workbook(tmp_path / "book.xlsx", [("ID", "Name"), ("A-1", "Apex"), ("A-2", "Acme")])
    path = rewritten(
        source,
        {
            SHEET_XML: lambda xml: re.sub(
                r'<dimension ref="[^"]*" ?/>', '<dimension ref="A1"/>', xml
            )
        },
    )

    mapped = read_accounts(path, model)

    assert [(row.number, row.values["name"]) for row in mapped.rows] == [(2, "Apex"), (3, "Acme")]


def test_a_formula_without_a_computed_value_names_its_row_and_column(
    model: CompiledModel, tmp_path: Path
) -> None:
    path = workbook(
        tmp_path / "book.xlsx",
        [("ID", "Name", "Cumulative revenue", "Notes"), ("A-1", "Apex", "=1000*2", '=""')],
    )

    with pytest.raises(UnreadableFile) as caught:
        read_accounts(path, model)

    assert caught.value.source == f"{path} [Sheet]"
    assert [str(problem) for problem in caught.value.problems] == [
        "row 2, column Cumulative revenue: formula =1000*2 without a computed value; "
        "open and save the file in Excel, or paste values instead of formulas"
    ]  # Notes is not imported, so its formula does not matter


def test_a_formula_is_imported_as_the_result_excel_stored(
    model: CompiledModel, tmp_path: Path
) -> None:
    source = workbook(
        tmp_path / "book.xlsx",
        [("ID", "Name", "Cumulative revenue", "Owner"), ("A-1", "Apex", "=1000*2", '=""')],
    )
    path = rewritten(source, {SHEET_XML: as_saved_by_excel})

    (row,) = read_accounts(path, model).rows

    assert dict(row.values) == {
        "external_id": "A-1",
        "name": "Apex",
        "cumulative_revenue": 2000,
        "owner": None,  # the formula's result is empty text
    }


def test_percent_formatted_cells_are_read_as_the_percentage_shown(
    model: CompiledModel, tmp_path: Path
) -> None:
    path = workbook(
        tmp_path / "book.xlsx",
        [
            ("ID", "Name", "Profit margin", "Aliases"),
            ("A-1", "Apex", 0.35, 0.5),
            ("A-2", "Acme", 0.075, None),
            ("A-3", "Globex", 7, None),
        ],
        {"C2": "0%", "D2": "0%", "C3": "0.00%", "C4": '0.0"%"'},
    )

    rows = [dict(row.values) for row in read_accounts(path, model).rows]

    assert [row["profit_margin"] for row in rows] == [35.0, 7.5, 7]  # C4 only shows a "%"
    assert rows[0]["aliases"] == "50%"  # text columns get what the sheet shows
