"""Which of a file's columns mean which tierbot column, and how to read their values.

A mapping is a preset (``hubspot``, ``salesforce``: see :mod:`bot.importing.presets`), a
YAML file, or, without either, the identity: columns named like a tierbot column, a model
field or a field's label ("External ID", "Cumulative revenue", "累计销售额").

A mapping file::

    preset: hubspot                 # optional: start from a preset and change it
    columns:                        # the file's column -> a tierbot column
      "Customer No": external_id
      "Revenue 2024": cumulative_revenue
    values:                         # per tierbot column: the file's value -> ours
      industry:
        "Financial Services": finance
        "*": other                  # any other value; "" leaves the cell empty
    ranges:                         # a number -> the choice whose minimum it reaches
      company_size: {small: 0, medium: 50, large: 250}
    numbers:                        # how the file writes numbers
      decimal: ","
      thousands: "."
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.importing.errors import MappingError
from bot.importing.presets import PRESETS
from bot.service.import_checks import ACCOUNT_COLUMNS
from bot.store.enums import LifecycleStage
from bot.text_files import UnreadableText, read_utf8
from scoring import CompiledModel, Problem
from scoring.spec import FieldType

ANY_VALUE = "*"
_KEYS = ("preset", "columns", "values", "ranges", "numbers")
_DECIMALS = (".", ",")
_THOUSANDS = ("", ",", ".", " ", "'")
_NOT_WORD = re.compile(r"[\W_]+")


def key(text: object) -> str:
    """Names and values compared loosely: case, spaces and punctuation do not matter."""
    return _NOT_WORD.sub("_", str(text).casefold()).strip("_")


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    name: str  # "hubspot", a file name, or "column names"
    columns: Mapping[str, str] = field(default_factory=dict)  # key(file column) -> ours
    values: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # ours -> table
    ranges: Mapping[str, tuple[tuple[float, str], ...]] = field(default_factory=dict)
    decimal: str = "."
    thousands: str = ""
    notices: tuple[str, ...] = ()  # preset entries the active model has no field for


IDENTITY = ColumnMapping("column names")


def load_mapping(spec: str | None, model: CompiledModel) -> ColumnMapping:
    """The preset named ``spec``, the mapping file at ``spec``, or the identity."""
    if spec is None:
        return IDENTITY
    if spec in PRESETS:
        return _Reader(spec, model, strict=False).read(PRESETS[spec])
    path = Path(spec)
    if not path.is_file():
        presets = ", ".join(PRESETS)
        raise MappingError(spec, [Problem("", f"no such mapping file (presets: {presets})")])
    return _Reader(str(path), model, strict=True).read(_yaml(path))


def _yaml(path: Path) -> Any:
    try:
        data = yaml.safe_load(_text(path))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise MappingError(str(path), [Problem(where, f"not valid YAML: {problem}")]) from None
    return data


def _text(path: Path) -> str:
    try:
        return read_utf8(path)
    except UnreadableText as error:
        if error.not_utf8:
            message = "not UTF-8 text, cannot decode it; save it as UTF-8"
            raise MappingError(str(path), [Problem("encoding", message)]) from None
        raise MappingError(str(path), [Problem("", error.message)]) from None


class _Reader:
    """Checks a mapping document, collecting every problem with its key path."""

    def __init__(self, source: str, model: CompiledModel, *, strict: bool) -> None:
        self.source, self.model, self.strict = source, model, strict
        self.targets = {*ACCOUNT_COLUMNS, *model.fields}
        self.problems: list[Problem] = []
        self.notices: list[str] = []

    def read(self, data: Any) -> ColumnMapping:
        if not isinstance(data, dict):
            raise MappingError(self.source, [Problem("", "a mapping file is a YAML mapping")])
        for name in data:
            if name not in _KEYS:
                self._fail(str(name), _unknown("key", name, _KEYS))
        base = self._preset(data.get("preset"))
        columns = {**base.columns, **self._columns(data.get("columns") or {})}
        values = {**base.values, **self._values(data.get("values") or {})}
        ranges = {**base.ranges, **self._ranges(data.get("ranges") or {})}
        decimal, thousands = self._numbers(data.get("numbers") or {}, base)
        if self.problems:
            raise MappingError(self.source, self.problems)
        notices = (*base.notices, *self.notices)
        return ColumnMapping(self.source, columns, values, ranges, decimal, thousands, notices)

    def _fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def _preset(self, name: object) -> ColumnMapping:
        if name is None:
            return IDENTITY
        if not isinstance(name, str):
            self._fail("preset", f"expected a preset name, not {_kind(name)}")
            return IDENTITY
        if name not in PRESETS:
            self._fail("preset", _unknown("preset", name, PRESETS))
            return IDENTITY
        return _Reader(str(name), self.model, strict=False).read(PRESETS[str(name)])

    def _target(self, path: str, column: object, *, quiet: bool = False) -> str | None:
        """A tierbot column, or None: a problem in a file, for a preset a notice (once)."""
        if not isinstance(column, str):
            self._fail(path, f"expected a tierbot column name, not {_kind(column)}")
            return None
        if column in self.targets:
            return str(column)
        field = self.model.resolve_field(column)
        if field is not None:  # an alias ("revenue" for cumulative_revenue)
            return field.name
        if self.strict:
            self._fail(path, _unknown("tierbot column", column, self.targets))
        elif not quiet:
            self.notices.append(f"{self.source}: {path} skipped: no field {column!r} in the model")
        return None

    def _columns(self, data: Any) -> dict[str, str]:
        if not isinstance(data, dict):
            self._fail("columns", "expected a mapping of the file's columns to tierbot columns")
            return {}
        found = {}
        for theirs, ours in data.items():
            target = self._target(f"columns.{theirs}", ours)
            if target is not None:
                found[key(theirs)] = target
        return found

    def _values(self, data: Any) -> dict[str, dict[str, str]]:
        if not isinstance(data, dict):
            self._fail("values", "expected tierbot columns, each with a table of values")
            return {}
        found = {}
        for column, table in data.items():
            target = self._target(f"values.{column}", column, quiet=True)
            if target is None:
                continue
            if not isinstance(table, dict):
                self._fail(f"values.{column}", "expected a table: the file's value -> ours")
                continue
            for theirs, ours in table.items():
                if isinstance(ours, dict | list):
                    message = f"expected one value (text or a number), not {_kind(ours)}"
                    self._fail(f"values.{column}.{theirs}", message)
                    continue
                self._check_value(f"values.{column}.{theirs}", target, ours)
            found[target] = {
                (ANY_VALUE if k == ANY_VALUE else key(k)): "" if v is None else str(v)
                for k, v in table.items()
            }
        return found

    def _check_value(self, path: str, column: str, value: object) -> None:
        allowed = self._allowed(column)
        if allowed is not None and value not in (None, "", *allowed):
            self._fail(path, f"{value!r} is not one of: {', '.join(allowed)}")

    def _allowed(self, column: str) -> tuple[str, ...] | None:
        if column == "lifecycle_stage":
            return tuple(stage.value for stage in LifecycleStage)
        field_def = self.model.fields.get(column)
        if field_def is not None and field_def.type is FieldType.CHOICE:
            return field_def.choices
        return None

    def _ranges(self, data: Any) -> dict[str, tuple[tuple[float, str], ...]]:
        if not isinstance(data, dict):
            self._fail("ranges", "expected choice fields, each with {choice: minimum}")
            return {}
        found = {}
        for column, table in data.items():
            target = self._target(f"ranges.{column}", column, quiet=True)
            allowed = self._allowed(target) if target else None
            if target is None:
                continue
            if allowed is None or not isinstance(table, dict):
                self._fail(f"ranges.{column}", "ranges need a choice field and {choice: minimum}")
                continue
            steps = []
            for choice, minimum in table.items():
                path = f"ranges.{column}.{choice}"
                if choice not in allowed:
                    self._fail(path, _unknown("choice", choice, allowed))
                elif not isinstance(minimum, int | float) or isinstance(minimum, bool):
                    self._fail(path, f"the minimum must be a number, not {minimum!r}")
                else:
                    steps.append((float(minimum), str(choice)))
            found[target] = tuple(sorted(steps, reverse=True))
        return found

    def _numbers(self, data: Any, base: ColumnMapping) -> tuple[str, str]:
        if not isinstance(data, dict):
            self._fail("numbers", "expected {decimal: ..., thousands: ...}")
            return base.decimal, base.thousands
        for name in data:
            if name not in ("decimal", "thousands"):
                self._fail(f"numbers.{name}", _unknown("key", name, ("decimal", "thousands")))
        decimal = str(data.get("decimal", base.decimal))
        thousands = str(data.get("thousands", base.thousands) or "")
        if decimal not in _DECIMALS:
            self._fail("numbers.decimal", f"{decimal!r} must be one of: '.', ','")
        if thousands not in _THOUSANDS:
            self._fail("numbers.thousands", f"{thousands!r} must be one of: ',', '.', ' ', \"'\"")
        if decimal == thousands:
            self._fail("numbers.thousands", "must differ from the decimal mark")
        return decimal, thousands


def _kind(value: object) -> str:
    """What a YAML value is, in the words of someone writing YAML."""
    if isinstance(value, list):
        return f"a list {value!r} (remove the brackets or dashes)"
    if isinstance(value, dict):
        return f"a mapping {value!r}"
    return repr(value)


def _unknown(what: str, name: object, known: Any) -> str:
    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown {what} {name!r}{hint}"
