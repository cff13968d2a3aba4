"""Quick reads of a SQLite file on the calling thread, without SQLAlchemy's execution.

A chat message makes a few indexed lookups on its hot path (the account's row, its
recent changes, the conversation state). SQLite answers one in about 20 µs; run
through SQLAlchemy (a pooled connection checked out and in, an execution context,
a result object) the same lookup costs about 150 µs, several times the query. So
each statement is prepared once, with SQLAlchemy's own compiler and type processors,
into its SQL text, the order of its parameters and the converter of each column; a
run then only binds, executes on a connection this object holds, converts and wraps
each row in a named tuple (attribute, index and ``_mapping`` access, as SQLAlchemy's
rows give).

The statement must be a SELECT; the run keeps to :class:`~bot.store.sqlite_driver.
StepBudget`, so a read that turns out slow is interrupted, having changed nothing.
Whenever this path cannot answer (a statement it cannot prepare, the budget spent, an
error, another thread asking), :meth:`QuickReads.rows` says so by returning None and
the caller runs the statement the ordinary way, which also reports errors as usual.
"""

from __future__ import annotations

import sqlite3
import sys
import threading
from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import URL, Engine, Select, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql.compiler import SQLCompiler

from bot.store import sqlite_driver
from bot.store.sqlite_driver import StepBudget

PREPARED_LIMIT = 256  # statements kept prepared; the hot path's are built once and reused
# The held connection reads the file through a memory map: a page not in its own cache
# is then read without a system call and a copy, which at 100,000 accounts (more than
# the cache holds) saved about a tenth of a chat message's time. Not on Windows, which
# cannot shorten a mapped file (a checkpoint or VACUUM elsewhere would fail).
MMAP_BYTES = 0 if sys.platform == "win32" else 256 << 20

Converter = Callable[[Any], Any] | None


_REQUIRED = object()  # a parameter the caller must give: it has no value of its own


@dataclass(frozen=True, slots=True)
class _Parameter:
    """One ``?`` of the SQL: looked up by ``key`` (or ``name``), as SQLAlchemy binds it."""

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
class _Prepared:
    sql: str
    parameters: tuple[_Parameter, ...]  # in the order of the SQL's ``?``
    converters: tuple[Converter, ...]  # for each column, as SQLAlchemy would read it
    row: type[tuple[Any, ...]]

    def values(self, given: Mapping[str, Any] | None) -> list[Any]:
        given = given or {}
        return [parameter.value(given) for parameter in self.parameters]

    def rows(self, fetched: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        converters = self.converters
        if not any(converters):
            return [self.row._make(row) for row in fetched]  # type: ignore[attr-defined]
        return [
            self.row._make(  # type: ignore[attr-defined]
                value if convert is None else convert(value)
                for convert, value in zip(converters, row, strict=True)
            )
            for row in fetched
        ]


def _prepare(statement: Select[Any], dialect: Dialect) -> _Prepared | None:
    """``statement`` ready to run on a plain sqlite3 connection, or None if it needs what
    only SQLAlchemy's execution does (parameters expanded at run time, say)."""
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
    columns = list(statement.selected_columns)
    keys = list(statement.selected_columns.keys())
    if len(set(keys)) != len(keys) or not all(key.isidentifier() for key in keys):
        return None  # a named tuple could not name them as SQLAlchemy's rows do
    converters = tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
    )
    return _Prepared(compiled.string, tuple(parameters), converters, _row_type(keys))


def _row_type(keys: list[str]) -> type[tuple[Any, ...]]:
    """A named tuple of ``keys`` that also offers SQLAlchemy's ``row._mapping``."""
    fields = namedtuple("QuickRow", keys)  # type: ignore[misc]

    class QuickRow(fields):
        __slots__ = ()

        @property
        def _mapping(self) -> dict[str, Any]:
            return dict(zip(self._fields, self, strict=True))

    return QuickRow


class QuickReads:
    """Quick reads of one SQLite file, on the calling thread (see the module's docstring).

    ``configure`` prepares each new sqlite3 connection (PRAGMAs), as for the async
    engine; ``listeners`` are (event name, function) pairs for the engine, such as the
    hooks that explain connection failures.
    """

    def __init__(
        self,
        url: URL,
        configure: Callable[[Any, Any], None],
        listeners: Sequence[tuple[str, Callable[..., Any]]] = (),
    ) -> None:
        self._engine: Engine = create_sync_engine(
            url.set(drivername="sqlite+pysqlite"),
            pool_size=sqlite_driver.QUICK_READ_POOL_SIZE,
            # The pool may hand a connection to another thread later; never two at once.
            connect_args={"check_same_thread": False},
        )
        event.listen(self._engine, "connect", configure)
        for name, function in listeners:
            event.listen(self._engine, name, function)
        self._prepared: dict[Select[Any], _Prepared | None] = {}
        # One connection held for the first thread that reads (the event loop's):
        # quick reads there never overlap, and no transaction is ever left open on it.
        self._owner: int | None = None
        self._held: PoolProxiedConnection | None = None

    def rows(
        self, statement: Select[Any], parameters: Mapping[str, Any] | None = None
    ) -> Sequence[Any] | None:
        """All rows of ``statement`` (attribute and index access by column), or None when
        the caller should run it the ordinary way (see the module's docstring)."""
        if not isinstance(statement, Select):
            raise TypeError(f"a quick read is a SELECT, not {type(statement).__name__}")
        prepared = self._prepared_for(statement)
        connection = self._connection()
        if prepared is None or connection is None:
            return self._through_sqlalchemy(statement, parameters)
        try:
            values = prepared.values(parameters)
        except KeyError:  # SQLAlchemy says which parameter is missing, in its own words
            return self._through_sqlalchemy(statement, parameters)
        budget = StepBudget()
        budget.install(connection)
        try:
            # Fetching every row ends the statement, and with it its read transaction.
            fetched = connection.execute(prepared.sql, values).fetchall()
        except sqlite3.Error:
            if not budget.spent:
                self._drop_connection()  # the ordinary way reports what went wrong
            return None
        finally:
            connection.set_progress_handler(None, 0)
        return prepared.rows(fetched)

    def _prepared_for(self, statement: Select[Any]) -> _Prepared | None:
        try:
            return self._prepared[statement]
        except KeyError:
            pass
        if len(self._prepared) >= PREPARED_LIMIT:
            self._prepared.clear()  # statements built per call: not worth keeping
        prepared = self._prepared[statement] = _prepare(statement, self._engine.dialect)
        return prepared

    def _connection(self) -> sqlite3.Connection | None:
        """The held sqlite3 connection, for its owner thread only."""
        thread = threading.get_ident()
        if self._owner is None:
            self._owner = thread
        if thread != self._owner:
            return None
        if self._held is None:
            try:
                held = self._engine.raw_connection()
            except OperationalError:
                return None  # the ordinary way reports it
            driver = held.driver_connection
            assert isinstance(driver, sqlite3.Connection)
            driver.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
            self._held = held
        driver = self._held.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        return driver

    def _drop_connection(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            held.invalidate()

    def _through_sqlalchemy(
        self, statement: Select[Any], parameters: Mapping[str, Any] | None
    ) -> Sequence[Any] | None:
        with self._engine.connect() as connection:
            raw = connection.connection.driver_connection
            assert isinstance(raw, sqlite3.Connection)
            budget = StepBudget()
            budget.install(raw)
            try:
                return connection.execute(statement, parameters).all()
            except OperationalError:
                if budget.spent:
                    return None
                raise
            finally:
                raw.set_progress_handler(None, 0)

    def dispose(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            held.close()
        self._engine.dispose()
