"""Quick reads of a SQLite file on the calling thread, without SQLAlchemy's execution.

A chat message makes a few indexed lookups on its hot path (the account's row, its
recent changes, the conversation state). SQLite answers one in about 20 µs; run
through SQLAlchemy (a pooled connection checked out and in, an execution context,
a result object) the same lookup costs about 150 µs, several times the query. So
each statement is prepared once (:mod:`bot.store.prepared`) and run on a connection
this object holds.

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
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import URL, Engine, Select, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import PoolProxiedConnection

from bot.store import sqlite_driver
from bot.store.prepared import PreparedCache
from bot.store.sqlite_driver import StepBudget

PREPARED_LIMIT = 256  # statements kept prepared; the hot path's are built once and reused
# The held connection reads the file through a memory map: a page not in its own cache
# is then read without a system call and a copy, which at 100,000 accounts (more than
# the cache holds) saved about a tenth of a chat message's time. Not on Windows, which
# cannot shorten a mapped file (a checkpoint or VACUUM elsewhere would fail).
MMAP_BYTES = 0 if sys.platform == "win32" else 256 << 20

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
        self._prepared = PreparedCache(self._engine.dialect, PREPARED_LIMIT)
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
        prepared = self._prepared.get(statement)
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
