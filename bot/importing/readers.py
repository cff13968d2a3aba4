"""Reading a spreadsheet's rows: CSV (any common encoding and delimiter) or XLSX.

Row numbers are the spreadsheet's own (the header is row 1), so problems point at the
row a person sees. Blank rows are skipped; cells keep their type where the format has
one (XLSX numbers and dates), everything else is text.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from bot.importing.errors import UnreadableFile
from scoring import Problem

Cell = str | float | int | bool | date | None

# Excel saves "CSV UTF-8" with a byte-order mark, plain "CSV" in the system code page,
# which on Chinese Windows is GBK, a subset of GB18030.
ENCODINGS = ("utf-8-sig", "gb18030")
DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True, slots=True)
class Sheet:
    source: str  # the file name, as problems name it
    header: tuple[str, ...]
    rows: list[tuple[int, tuple[Cell, ...]]]  # (row number, cells), blank rows left out


def read_sheet(path: Path, sheet: str | None = None) -> Sheet:
    """Read ``path`` by its extension: .xlsx (first sheet or ``sheet``), else CSV."""
    if not path.is_file():
        raise UnreadableFile(str(path), [Problem("", "no such file")])
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_xlsx(path, sheet)
    if sheet is not None:
        raise UnreadableFile(str(path), [Problem("sheet", "only XLSX files have sheets")])
    return read_csv(path)


def read_csv(path: Path) -> Sheet:
    text = _decode(path)
    first_line = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=first_line.count)
    records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    return _sheet(str(path), enumerate(records, 1))


def _decode(path: Path) -> str:
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        return data.decode("utf-16")
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    message = "not UTF-8 or GB18030 text; save it from Excel as 'CSV UTF-8'"
    raise UnreadableFile(str(path), [Problem("encoding", message)])


def read_xlsx(path: Path, sheet: str | None) -> Sheet:
    import openpyxl  # loaded only for XLSX files: it takes a while to import
    from openpyxl.utils.exceptions import InvalidFileException

    source = str(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as error:
        raise UnreadableFile(source, [Problem("", f"not a readable XLSX file ({error})")]) from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            names = ", ".join(book.sheetnames)
            raise UnreadableFile(source, [Problem("sheet", f"no sheet {sheet!r}; sheets: {names}")])
        worksheet = book[sheet] if sheet is not None else book.worksheets[0]
        rows = worksheet.iter_rows(min_row=1, values_only=True)
        return _sheet(f"{source} [{worksheet.title}]", enumerate(rows, 1))
    finally:
        book.close()


def _sheet(source: str, numbered: Iterable[tuple[int, Sequence[object]]]) -> Sheet:
    header: tuple[str, ...] | None = None
    rows: list[tuple[int, tuple[Cell, ...]]] = []
    for number, raw in numbered:
        cells = tuple(_cell(value) for value in raw)
        if all(cell is None for cell in cells):
            continue
        if header is None:
            header = tuple("" if cell is None else str(cell) for cell in cells)
            _check_header(source, header)
        else:
            rows.append((number, cells))
    if header is None:
        raise UnreadableFile(source, [Problem("", "the file is empty: no header row")])
    return Sheet(source, header, rows)


def _cell(value: object) -> Cell:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()  # facts are dates; spreadsheets store them as midnight
    if isinstance(value, str):
        stripped = value.strip()
        return stripped or None
    if isinstance(value, bool | int | float | date):
        return value
    return str(value)


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
