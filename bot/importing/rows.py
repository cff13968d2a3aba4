"""A sheet's rows as tierbot rows: columns mapped, values translated, numbers normalised."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.importing.cells import Cell, Percent, Unreadable
from bot.importing.errors import MappingError, UnreadableFile, at_most
from bot.importing.mapping import ANY_VALUE, ColumnMapping, key
from bot.importing.readers import Sheet
from bot.service.exports import COMPUTED_COLUMNS, live
from bot.service.import_checks import ACCOUNT_COLUMNS, ImportRow
from scoring import CompiledModel, Problem, parse_number
from scoring.spec import FieldType

Convert = Callable[[Cell], Cell]
# What account columns are called in spreadsheets people already have, in both languages.
ACCOUNT_COLUMN_NAMES = {
    "external_id": ("External ID", "CRM ID", "ID", "编号", "客户编号"),
    "name": ("Name", "Account name", "Company name", "客户名称", "名称", "公司名称"),
    "owner": ("Owner", "Account owner", "负责人", "客户经理"),
    "aliases": ("Aliases", "Also known as", "别名"),
    "lifecycle_stage": ("Lifecycle stage", "Stage", "客户阶段", "生命周期阶段"),
}
REQUIRED = {"external_id": "CRM id", "name": "account name"}  # every row needs them
_NUMBERS = frozenset({FieldType.NUMBER, FieldType.INTEGER, FieldType.PERCENT, FieldType.MONEY})


@dataclass(frozen=True, slots=True)
class MappedFile:
    source: str
    rows: list[ImportRow]
    headers: dict[str, str]  # tierbot column -> the file's column, for naming problems
    ignored: tuple[str, ...]  # the file's columns that are not imported
    notices: tuple[str, ...]


def map_sheet(sheet: Sheet, mapping: ColumnMapping, model: CompiledModel) -> MappedFile:
    """Apply ``mapping`` to every row; columns it does not place are ignored."""
    targets = _targets(sheet, mapping, model)
    _check_required(sheet, targets)
    _check_cells(sheet, targets)
    converters = [(i, ours, _converter(ours, mapping, model)) for i, ours in targets]
    rows = [
        ImportRow(number, {ours: convert(_at(cells, i)) for i, ours, convert in converters})
        for number, cells in sheet.rows
    ]
    placed = {i for i, _ in targets}
    computed = {key(name) for name in COMPUTED_COLUMNS}
    ignored = tuple(
        name
        for i, name in enumerate(sheet.header)
        if i not in placed and name and key(name) not in computed
    )
    headers = {ours: sheet.header[i] for i, ours in targets}
    return MappedFile(sheet.source, rows, headers, ignored, mapping.notices)


def _targets(sheet: Sheet, mapping: ColumnMapping, model: CompiledModel) -> list[tuple[int, str]]:
    names = _identity(model)
    targets: dict[str, int] = {}
    problems = []
    for index, header in enumerate(sheet.header):
        ours = mapping.columns.get(key(header)) or names.get(key(header))
        if ours is None:
            continue
        if ours in targets:
            first = sheet.header[targets[ours]]
            problems.append(Problem(f"column {header}", f"is {ours} again (so is {first})"))
        else:
            targets[ours] = index
    if problems:
        raise MappingError(sheet.source, problems)
    return [(index, ours) for ours, index in targets.items()]


def _check_required(sheet: Sheet, targets: list[tuple[int, str]]) -> None:
    """Without a CRM id or name column every row would fail: say so once, for the header."""
    placed = {ours for _, ours in targets}
    columns = ", ".join(repr(name) for name in sheet.header if name) or "none"
    problems = [
        Problem("header", f"no column for the {what}: {_how_to_name(ours)}; columns: {columns}")
        for ours, what in REQUIRED.items()
        if ours not in placed
    ]
    if problems:
        raise MappingError(sheet.source, problems)


def _how_to_name(ours: str) -> str:
    *some, last = (repr(name) for name in ACCOUNT_COLUMN_NAMES[ours][:3])
    return f"call one {', '.join(some)} or {last}, or map one to {ours} with a mapping file"


def _check_cells(sheet: Sheet, targets: list[tuple[int, str]]) -> None:
    """Cells of imported columns that cannot be stored; other columns may hold anything."""
    problems = [
        Problem(f"row {number}, column {sheet.header[index]}", message)
        for number, cells in sheet.rows
        for index, _ in targets
        if (message := _cell_problem(_at(cells, index))) is not None
    ]
    if problems:
        raise UnreadableFile(sheet.source, at_most(problems))


def _cell_problem(cell: Cell) -> str | None:
    if isinstance(cell, Unreadable):
        return cell.reason
    if isinstance(cell, str) and "\x00" in cell:
        # Databases (PostgreSQL) refuse it; it is usually left by a broken export.
        return "contains a NUL character (\\x00); remove it and export the file again"
    return None


def _identity(model: CompiledModel) -> dict[str, str]:
    """Column names that mean a tierbot column without any mapping."""
    names = {key(column): column for column in ACCOUNT_COLUMNS}
    for column, spellings in ACCOUNT_COLUMN_NAMES.items():
        names.update((key(spelling), column) for spelling in spellings)
    for name, field in model.fields.items():
        names[key(name)] = name
        for spelling in (*(label for _, label in field.label.texts), *field.aliases):
            names.setdefault(key(spelling), name)
    return names


def _at(cells: tuple[Cell, ...], index: int) -> Cell:
    return cells[index] if index < len(cells) else None


def _converter(ours: str, mapping: ColumnMapping, model: CompiledModel) -> Convert:
    field = model.fields.get(ours)
    # An export quoted cells a spreadsheet would run ('=1+1): the quote is not the value.
    steps: list[Convert] = [_not_inert]
    if field is not None and field.type is FieldType.PERCENT:
        steps.append(_percent_points)
    table = mapping.values.get(ours)
    if table:
        steps.append(lambda cell: _translate(table, cell))
    ranges = mapping.ranges.get(ours)
    if ranges:
        steps.append(lambda cell: _range(ranges, mapping, cell))
    if (
        field is not None
        and field.type in _NUMBERS
        and (mapping.decimal != "." or mapping.thousands)
    ):
        steps.append(lambda cell: _number_text(mapping, cell))
    steps.append(_percent_text)

    def convert(cell: Cell) -> Cell:
        for step in steps:
            cell = step(cell)
        return cell

    return convert


def _not_inert(cell: Cell) -> Cell:
    return live(cell) if isinstance(cell, str) else cell


def _percent_points(cell: Cell) -> Cell:
    """A percent field holds points: a cell showing 35% is 35 (Excel stores 0.35)."""
    return cell.points if isinstance(cell, Percent) else cell


def _percent_text(cell: Cell) -> Cell:
    """Elsewhere a percentage is the text the sheet shows: "35%", which a number field
    refuses clearly rather than taking 0.35 or 35."""
    return str(cell) if isinstance(cell, Percent) else cell


def _translate(table: Mapping[str, str], cell: Cell) -> Cell:
    if cell is None:
        return None
    found = table.get(key(_plain(cell)), table.get(ANY_VALUE))
    if found is None:
        return cell
    return found or None


def _range(ranges: tuple[tuple[float, str], ...], mapping: ColumnMapping, cell: Cell) -> Cell:
    if cell is None or isinstance(cell, bool):
        return cell
    if isinstance(cell, Percent):
        return _range(ranges, mapping, cell.points)
    try:
        number = float(cell) if isinstance(cell, int | float) else _parse(mapping, str(cell))
    except ValueError:
        return cell  # not a number: checking will say what the cell should be
    return next((choice for minimum, choice in ranges if number >= minimum), None)


def _number_text(mapping: ColumnMapping, cell: Cell) -> Cell:
    if not isinstance(cell, str):
        return cell
    text = cell.replace(mapping.thousands, "") if mapping.thousands else cell
    return text.replace(mapping.decimal, ".") if mapping.decimal != "." else text


def _parse(mapping: ColumnMapping, text: str) -> float:
    normalised = _number_text(mapping, text)
    return parse_number(str(normalised))


def _plain(cell: Cell) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)
