"""XLSX sheets read with openpyxl: values as Excel shows them, formulas by their results.

An XLSX file stores a formula and, when a spreadsheet program saved it, the formula's
result. Files written by scripts (openpyxl, for one) may carry no result; such a cell is
marked Unreadable rather than read as empty. (XlsxWriter stores 0 as every result: that
cannot be told from a real 0.)
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree.ElementTree import ParseError

from bot.importing.cells import Percent, Unreadable
from bot.importing.errors import UnreadableFile
from scoring import Problem

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook

Row = list[object]
# Quoted text, escaped characters and [brackets] (colours, conditions) in a number format
# are shown as they are: a "%" there does not multiply by 100.
_FORMAT_LITERALS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')
UNCOMPUTED = (
    "formula {formula} without a computed value; open and save the file in Excel, "
    "or paste values instead of formulas"
)


def xlsx_rows(path: Path, sheet: str | None) -> tuple[str, list[Row]]:
    """The sheet's title and its rows, from row 1; formula cells hold their results."""
    with _workbook(path, data_only=False) as book:
        worksheet = _worksheet(path, book, sheet)
        title = worksheet.title
        rows, formulas = _read(worksheet)
    if formulas:
        with _workbook(path, data_only=True) as book:
            _fill_results(book[title], rows, formulas)
    return title, rows


@contextmanager
def _workbook(path: Path, *, data_only: bool) -> Iterator[Workbook]:
    import openpyxl  # loaded only for XLSX files: it takes a while to import
    from openpyxl.utils.exceptions import InvalidFileException

    failures = (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ParseError)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    except failures as error:
        raise _not_xlsx(path, error) from None
    try:
        yield book
    except failures as error:  # a sheet's XML is read only while iterating its rows
        raise _not_xlsx(path, error) from None
    finally:
        book.close()


def _not_xlsx(path: Path, error: Exception) -> UnreadableFile:
    return UnreadableFile(str(path), [Problem("", f"not a readable XLSX file ({error})")])


def _worksheet(path: Path, book: Workbook, sheet: str | None) -> Any:
    if sheet is not None and sheet not in book.sheetnames:
        names = ", ".join(book.sheetnames)
        raise UnreadableFile(str(path), [Problem("sheet", f"no sheet {sheet!r}; sheets: {names}")])
    worksheet = book[sheet] if sheet is not None else book.worksheets[0]
    # Some programs write a wrong <dimension> (such as "A1"), which read-only mode trusts.
    worksheet.reset_dimensions()
    return worksheet


def _read(worksheet: Any) -> tuple[list[Row], set[tuple[int, int]]]:
    """Rows of values, and where formulas are: (row index, column index)."""
    rows: list[Row] = []
    formulas: set[tuple[int, int]] = set()
    for row_index, cells in enumerate(worksheet.iter_rows()):
        row: Row = []
        for column_index, cell in enumerate(cells):
            if cell.data_type == "f":
                formulas.add((row_index, column_index))
                # Until its stored result replaces it; never the formula's text.
                row.append(Unreadable(UNCOMPUTED.format(formula=_formula_text(cell.value))))
            else:
                row.append(_value(cell))
        rows.append(row)
    return rows, formulas


def _formula_text(value: object) -> str:
    """The formula as typed; array formulas are objects holding it in ``text``."""
    text = getattr(value, "text", value)
    return text if isinstance(text, str) else "(a data table)"


def _fill_results(worksheet: Any, rows: list[Row], formulas: set[tuple[int, int]]) -> None:
    """Each formula's stored result in its place; without one, it stays Unreadable."""
    worksheet.reset_dimensions()
    last_row = max(row_index for row_index, _ in formulas) + 1
    for row_index, cells in enumerate(worksheet.iter_rows(max_row=last_row)):
        for column_index, cell in enumerate(cells):
            if (row_index, column_index) not in formulas:
                continue
            # A formula whose result is "" has type "str" and no value; one never computed
            # has neither.
            computed = cell.value is not None or cell.data_type == "str"
            if computed:
                rows[row_index][column_index] = _value(cell)


def _value(cell: Any) -> object:
    value = cell.value
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    if numeric and _is_percent(cell.number_format):
        return Percent.of_fraction(value)
    return value


def _is_percent(number_format: str | None) -> bool:
    return number_format is not None and "%" in _FORMAT_LITERALS.sub("", number_format)
