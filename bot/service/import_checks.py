"""Checking imported rows before anything is written: every problem, with row and column.

A row is a mapping of tierbot column names (the account columns below and the active
model's fields) to what the file holds. An empty cell means "leave as stored", so only
the columns with a value are checked and later compared.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from bot.service.views import RowProblem
from bot.store.enums import LifecycleStage
from scoring import CompiledModel, FactsError, FactValue, validate_facts

ACCOUNT_COLUMNS = ("external_id", "name", "owner", "aliases", "lifecycle_stage")
ALIAS_SEPARATORS = (";", "|", "；")
_STAGES = ", ".join(stage.value for stage in LifecycleStage)
_PROGRESS_EVERY = 2_000

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class ImportRow:
    number: int  # the row as the spreadsheet numbers it (the header is row 1)
    values: Mapping[str, object]  # tierbot column -> cell (text, number, date or None)


@dataclass(frozen=True, slots=True)
class People:
    """Who may own accounts: by name or email, ignoring case."""

    ids: Mapping[str, int]
    names: Mapping[int, str]

    def find(self, text: str) -> int | None:
        return self.ids.get(text.casefold())


@dataclass(frozen=True, slots=True)
class CheckedRow:
    row: int
    external_id: str
    name: str
    owner_id: int | None
    owner_given: bool  # False: the file says nothing about the owner
    aliases: tuple[str, ...] | None  # None: keep the stored aliases
    stage: LifecycleStage | None  # None: keep the stored stage
    facts: dict[str, FactValue]  # only the facts the file gives


def unknown_columns(model: CompiledModel, rows: Sequence[ImportRow]) -> list[str]:
    """Columns of ``rows`` that are neither account columns nor fields of ``model``."""
    facts = fact_columns(model, rows)
    seen = dict.fromkeys(column for row in rows for column in row.values)
    return [column for column in seen if column not in ACCOUNT_COLUMNS and column not in facts]


def fact_columns(model: CompiledModel, rows: Sequence[ImportRow]) -> frozenset[str]:
    """The columns of ``rows`` that are facts: a field's name or one of its aliases
    ("revenue" for cumulative_revenue), account columns coming first."""
    seen = dict.fromkeys(column for row in rows for column in row.values)
    return frozenset(
        column
        for column in seen
        if column not in ACCOUNT_COLUMNS and model.resolve_field(column) is not None
    )


def check_rows(
    model: CompiledModel,
    people: People,
    rows: Sequence[ImportRow],
    today: date,
    headers: Mapping[str, str],
    progress: Progress | None = None,
) -> tuple[list[CheckedRow], list[RowProblem]]:
    """The rows without problems, and every problem of the others."""
    checked: list[CheckedRow] = []
    problems: list[RowProblem] = []
    first_row: dict[str, int] = {}
    facts = fact_columns(model, rows)
    for done, row in enumerate(rows, 1):
        found: list[RowProblem] = []
        result = _check(model, people, row, _Given(today, headers, facts), found)
        external_id = result.external_id if result else _text(row.values.get("external_id"))
        if external_id in first_row:
            message = f"{external_id!r} is also on row {first_row[external_id]}"
            found.append(_problem(row, "external_id", message, headers))
        elif external_id:
            first_row[external_id] = row.number
        if found:
            problems.extend(found)
        elif result is not None:
            checked.append(result)
        if progress is not None and (done % _PROGRESS_EVERY == 0 or done == len(rows)):
            progress("checking", done, len(rows))
    return checked, problems


@dataclass(frozen=True, slots=True)
class _Given:
    """What checking a row needs beside the row: today, the file's names for its columns,
    and which columns are facts."""

    today: date
    headers: Mapping[str, str]
    facts: frozenset[str]


def _check(
    model: CompiledModel, people: People, row: ImportRow, given: _Given, found: list[RowProblem]
) -> CheckedRow | None:
    values, headers = row.values, given.headers
    external_id = _text(values.get("external_id"))
    name = " ".join(_text(values.get("name")).split())
    if not external_id:
        found.append(_problem(row, "external_id", "missing: every row needs its CRM id", headers))
    if not name:
        found.append(_problem(row, "name", "missing: every row needs the account name", headers))
    owner = _text(values.get("owner"))
    owner_id = people.find(owner) if owner else None
    if owner and owner_id is None:
        message = f"no person named {owner!r} (add them with: tierbot people add)"
        found.append(_problem(row, "owner", message, headers))
    stage = _stage(row, headers, found)
    facts = _facts(model, row, given, found)
    if found:
        return None
    aliases = _aliases(values.get("aliases"))
    return CheckedRow(row.number, external_id, name, owner_id, bool(owner), aliases, stage, facts)


def _stage(
    row: ImportRow, headers: Mapping[str, str], found: list[RowProblem]
) -> LifecycleStage | None:
    text = _text(row.values.get("lifecycle_stage"))
    if not text:
        return None
    try:
        return LifecycleStage(text.lower().replace(" ", "_").replace("-", "_"))
    except ValueError:
        message = f"{text!r} is not one of: {_STAGES}"
        found.append(_problem(row, "lifecycle_stage", message, headers))
        return None


def _facts(
    model: CompiledModel, row: ImportRow, given: _Given, found: list[RowProblem]
) -> dict[str, FactValue]:
    facts = {k: v for k, v in row.values.items() if k in given.facts and not _blank(v)}
    try:
        checked = validate_facts(model, facts, today=given.today)
    except FactsError as error:
        found.extend(_problem(row, p.path, p.message, given.headers) for p in error.problems)
        return {}
    return {name: value for name, value in checked.items() if value is not None}


def _aliases(value: object) -> tuple[str, ...] | None:
    text = _text(value)
    if not text:
        return None
    for separator in ALIAS_SEPARATORS[1:]:
        text = text.replace(separator, ALIAS_SEPARATORS[0])
    parts = (" ".join(part.split()) for part in text.split(ALIAS_SEPARATORS[0]))
    return tuple(dict.fromkeys(part for part in parts if part))


def _text(value: object) -> str:
    """A cell as text; spreadsheets hand over whole numbers such as ids as 12345.0."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _problem(row: ImportRow, column: str, message: str, headers: Mapping[str, str]) -> RowProblem:
    return RowProblem(row.number, headers.get(column, column), message)
