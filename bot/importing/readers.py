"""Reading a spreadsheet's rows: CSV (any common encoding and delimiter) or XLSX.

Row numbers are the spreadsheet's own (the header is row 1), so problems point at the
row a person sees. Blank rows are skipped; cells keep their type where the format has
one (XLSX numbers, dates and percentages), everything else is text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.importing import csv_files
from bot.importing.cells import Cell, Unreadable, cell_value
from bot.importing.errors import UnreadableFile, at_most
from bot.importing.xlsx_files import xlsx_rows
from scoring import Problem

XLSX_SUFFIXES = (".xlsx", ".xlsm")
# Spreadsheet formats openpyxl cannot read, by extension and by their first bytes.
UNSUPPORTED_SUFFIXES = (".xls", ".xlsb", ".ods", ".numbers")
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old .xls, and password-protected .xlsx
ZIP_MAGIC = b"PK\x03\x04"
UNSUPPORTED = "unsupported format: save it as .xlsx or .csv"
OLE2_UNSUPPORTED = (
    "unsupported format (old Excel .xls, or a password-protected workbook): "
    "save it as .xlsx without a password, or as .csv"
)


@dataclass(frozen=True, slots=True)
class Sheet:
    source: str  # the file name, as problems name it
    header: tuple[str, ...]
    rows: list[tuple[int, tuple[Cell, ...]]]  # (row number, cells), blank rows left out


def read_sheet(path: Path, sheet: str | None = None) -> Sheet:
    """Read ``path`` by its extension: .xlsx (first sheet or ``sheet``), else CSV."""
    head = _head(path)
    if head.startswith(OLE2_MAGIC):
        raise UnreadableFile(str(path), [Problem("", OLE2_UNSUPPORTED)])
    if path.suffix.lower() in XLSX_SUFFIXES:
        return read_xlsx(path, sheet)
    if path.suffix.lower() in UNSUPPORTED_SUFFIXES:
        raise UnreadableFile(str(path), [Problem("", UNSUPPORTED)])
    if head.startswith(ZIP_MAGIC):
        message = "a zip file, not CSV text: if it is an Excel workbook, name it .xlsx"
        raise UnreadableFile(str(path), [Problem("", message)])
    if sheet is not None:
        raise UnreadableFile(str(path), [Problem("sheet", "only XLSX files have sheets")])
    return read_csv(path)


def _head(path: Path) -> bytes:
    """The file's first bytes, saying clearly why there are none to read."""
    if path.is_dir():
        raise UnreadableFile(str(path), [Problem("", "is a directory, not a file")])
    if not path.is_file():
        raise UnreadableFile(str(path), [Problem("", "no such file")])
    try:
        with path.open("rb") as file:
            return file.read(len(OLE2_MAGIC))
    except OSError as error:
        raise _cannot_read(path, error) from None


def _cannot_read(path: Path, error: OSError) -> UnreadableFile:
    return UnreadableFile(str(path), [Problem("", f"cannot read it: {error.strerror}")])


def read_csv(path: Path) -> Sheet:
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise _cannot_read(path, error) from None
    text = csv_files.decode(source, data)
    delimiter = csv_files.delimiter(text)
    records = csv_files.records(source, text, delimiter)
    return _sheet(source, enumerate(records, 1), delimiter=delimiter)


def read_xlsx(path: Path, sheet: str | None) -> Sheet:
    title, rows = xlsx_rows(path, sheet)
    return _sheet(f"{path} [{title}]", enumerate(rows, 1))


def _sheet(
    source: str, numbered: Iterable[tuple[int, Sequence[object]]], *, delimiter: str | None = None
) -> Sheet:
    """The header and the non-blank rows; for CSV (``delimiter``) no cells past the header."""
    header: tuple[str, ...] | None = None
    rows: list[tuple[int, tuple[Cell, ...]]] = []
    problems: list[Problem] = []
    for number, raw in numbered:
        cells = tuple(cell_value(value) for value in raw)
        if all(cell is None for cell in cells):
            continue
        if header is None:
            header = _header(source, cells)
            continue
        if delimiter is not None:
            problems.extend(_extra_cells(number, cells, len(header), delimiter))
        rows.append((number, cells))
    if header is None:
        raise UnreadableFile(source, [Problem("", "the file is empty: no header row")])
    if problems:
        raise UnreadableFile(source, at_most(problems))
    return Sheet(source, header, rows)


def _extra_cells(
    number: int, cells: tuple[Cell, ...], columns: int, delimiter: str
) -> list[Problem]:
    """A CSV row longer than its header: usually a value with an unquoted delimiter in it,
    which shifts every cell after it into the wrong column."""
    filled = max((index + 1 for index, cell in enumerate(cells) if cell is not None), default=0)
    if filled <= columns:
        return []  # empty cells past the header, as some programs write, are harmless
    what = csv_files.DELIMITER_NAMES[delimiter]
    message = (
        f"{filled} cells, but the header names {columns} columns; "
        f"a value containing {what} must be in double quotes"
    )
    return [Problem(f"row {number}", message)]


def _header(source: str, cells: tuple[Cell, ...]) -> tuple[str, ...]:
    unreadable = [
        Problem(f"row 1, column {index}", cell.reason)
        for index, cell in enumerate(cells, 1)
        if isinstance(cell, Unreadable)
    ]
    if unreadable:
        raise UnreadableFile(source, unreadable)
    header = tuple("" if cell is None else str(cell) for cell in cells)
    _check_header(source, header)
    return header


def _check_header(source: str, header: tuple[str, ...]) -> None:
    seen: dict[str, int] = {}
    problems = []
    for index, name in enumerate(header, 1):
        key = name.strip().casefold()
        if key and key in seen:
            problems.append(
                Problem(f"column {name}", f"appears twice (columns {seen[key]} and {index})")
            )
        seen.setdefault(key, index)
    if problems:
        raise UnreadableFile(source, problems)
