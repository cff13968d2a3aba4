"""Statements prepared once to run on a driver's own connection, as SQLAlchemy would run them.

A quick read (:mod:`bot.store.quick_reads` for SQLite, :mod:`bot.store.postgres_quick_reads`
for PostgreSQL) skips SQLAlchemy's execution, which costs several times an indexed lookup.
It must still send what SQLAlchemy sends and read back what SQLAlchemy gives: so each
statement is compiled once by SQLAlchemy for the driver's dialect into its SQL text, the
order of its parameters with each one's bind processor, and the result processor of each
column; a run then only binds, executes, converts, and wraps each row in a named tuple
(attribute, index and ``_mapping`` access, as SQLAlchemy's rows give).
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import CompoundSelect, Select, TextClause
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeEngine

Converter = Callable[[Any], Any] | None
Statement = Select[*tuple[Any, ...]] | CompoundSelect[*tuple[Any, ...]] | TextClause

_REQUIRED = object()  # a parameter the caller must give: it has no value of its own


@dataclass(frozen=True, slots=True)
class _Parameter:
    """One positional parameter of the SQL: looked up by ``key`` (or ``name``), as
    SQLAlchemy binds it."""

    key: str  # the name the caller gives it by
    name: str  # its name in the compiled statement
    default: Any  # its own value (a LIMIT, say), or _REQUIRED
    bind: Converter

    def value(self, given: Mapping[str, Any]) -> Any:
        if self.key in given:
            value = given[self.key]
        elif self.name in given:
            value = given[self.name]
        elif self.default is _REQUIRED:
            raise KeyError(f"a value is required for the parameter {self.key!r}")
        else:
            value = self.default
        return value if self.bind is None else self.bind(value)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A statement ready to run: its SQL, what to bind, and how to read each row."""

    sql: str
    parameters: tuple[_Parameter, ...]  # in the order of the SQL's positional parameters
    converters: tuple[Converter, ...]  # for each column, as SQLAlchemy would read it
    row: type[tuple[Any, ...]] | None  # None: rows stay as the driver gives them
    # Each column's type for the dialect, and the dialect: some converters depend on the
    # type the database says a column has (see described).
    types: tuple[TypeEngine[Any], ...] = ()
    dialect: Dialect | None = None
    # The converters wait for the column types the driver describes (see described).
    needs_description: bool = False

    def described(self, type_codes: Sequence[Any]) -> Prepared:
        """This statement with each column's converter chosen, as SQLAlchemy chooses it,
        for the type code the driver describes the column with: PostgreSQL's numbers, for
        one, convert by the column's type as the server reports it."""
        dialect = self.dialect
        assert dialect is not None, "prepared without a dialect"
        converters = tuple(
            impl.result_processor(dialect, code)
            for impl, code in zip(self.types, type_codes, strict=True)
        )
        return replace(self, converters=converters, needs_description=False)

    def values(self, given: Mapping[str, Any] | None) -> list[Any]:
        """The positional values for ``given``; KeyError names a required one missing."""
        given = given or {}
        return [parameter.value(given) for parameter in self.parameters]

    def rows(self, fetched: Iterable[Sequence[Any]]) -> list[Any]:
        """The driver's rows as SQLAlchemy would give them."""
        make = self.row
        if make is None:
            return list(fetched)
        converters = self.converters
        if self.needs_description:
            raise ValueError("describe the statement's columns first")
        if not any(converters):
            return [make._make(row) for row in fetched]  # type: ignore[attr-defined]
        return [
            make._make(  # type: ignore[attr-defined]
                value if convert is None else convert(value)
                for convert, value in zip(converters, row, strict=True)
            )
            for row in fetched
        ]


def prepare(statement: Statement, dialect: Dialect, *, describe: bool = False) -> Prepared | None:
    """``statement`` ready to run on a plain driver connection of ``dialect``, or None if
    it needs what only SQLAlchemy's execution does (parameters expanded at run time, a
    value computed at run time).

    A SELECT's rows come back as named tuples of its columns, converted by their types;
    a text statement's rows as the driver gives them, as SQLAlchemy would leave them.
    ``describe``: the converters depend on the column types the driver reports, so they
    are chosen once the statement was described (:meth:`Prepared.described`).
    """
    compiled = statement.compile(dialect=dialect)
    if not isinstance(compiled, SQLCompiler) or compiled.post_compile_params:
        return None
    if not compiled.positional or compiled.positiontup is None:
        return None
    parameters = []
    for name in compiled.positiontup:
        bind = compiled.binds[name]
        if bind.callable is not None:
            return None  # a value computed at run time: SQLAlchemy's to compute
        parameters.append(
            _Parameter(
                bind.key,
                name,
                _REQUIRED if bind.required else bind.value,
                bind.type.dialect_impl(dialect).bind_processor(dialect),
            )
        )
    if isinstance(statement, TextClause):
        return Prepared(compiled.string, tuple(parameters), (), None)
    columns = list(statement.selected_columns)
    keys = list(statement.selected_columns.keys())
    if len(set(keys)) != len(keys) or not all(_nameable(key) for key in keys):
        return None  # a named tuple could not name them as SQLAlchemy's rows do
    types = tuple(column.type.dialect_impl(dialect) for column in columns)
    converters = () if describe else tuple(impl.result_processor(dialect, None) for impl in types)
    return Prepared(
        compiled.string, tuple(parameters), converters, _row_type(keys), types, dialect, describe
    )


def _nameable(key: str) -> bool:
    return key.isidentifier() and not key.startswith("_")


def _row_type(keys: list[str]) -> type[tuple[Any, ...]]:
    """A named tuple of ``keys`` that also offers SQLAlchemy's ``row._mapping``."""
    fields = namedtuple("QuickRow", keys)  # type: ignore[misc]

    class QuickRow(fields):
        __slots__ = ()

        @property
        def _mapping(self) -> dict[str, Any]:
            return dict(zip(self._fields, self, strict=True))

    return QuickRow


class PreparedCache:
    """Statements prepared for one dialect, each once: the hot path's are built once and
    reused. Statements built per call (a rare search's) only pass through: the cache
    keeps the most recently used ones, so they never push the hot path's out."""

    def __init__(self, dialect: Dialect, limit: int = 256, *, describe: bool = False) -> None:
        self._dialect = dialect
        self._limit = limit
        self._describe = describe
        self._prepared: OrderedDict[Statement, Prepared | None] = OrderedDict()

    def get(self, statement: Statement) -> Prepared | None:
        try:
            self._prepared.move_to_end(statement)
            return self._prepared[statement]
        except KeyError:
            pass
        prepared = prepare(statement, self._dialect, describe=self._describe)
        self.keep(statement, prepared)
        return prepared

    def keep(self, statement: Statement, prepared: Prepared | None) -> None:
        """Keep ``prepared`` (described, say) for ``statement`` from now on."""
        self._prepared[statement] = prepared
        self._prepared.move_to_end(statement)
        while len(self._prepared) > self._limit:
            self._prepared.popitem(last=False)
