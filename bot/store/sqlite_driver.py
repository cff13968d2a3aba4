"""tierbot's SQLite driver: aiosqlite connections that make one trip to their thread
per statement, and quick reads that make none.

aiosqlite runs every call on the connection's own thread. Through SQLAlchemy a query
takes four trips (open a cursor, execute, fetch, close) and a session that only read
takes two more to roll back a transaction that was never opened. Each trip wakes the
thread and passes the GIL back and forth, which costs more than an indexed SQLite
lookup itself. Here one trip opens a sqlite3 cursor, executes, fetches the first
:data:`PREFETCH` rows and, when that was all, closes the cursor again; commit and
rollback make no trip when no transaction is open (sqlite3 itself does nothing then).

Rows beyond the first :data:`PREFETCH` are fetched on demand, so a large result still
streams. Every sqlite3 cursor is used and closed on the connection's thread only:
closing one elsewhere could reset a cached statement another cursor is running.

Quick reads
-----------
An indexed lookup of a few rows costs SQLite less than the trip to the thread, and
less again than SQLAlchemy's asyncio layer around it (a new greenlet for every call,
each connection checked out and in through the event loop). So the lookups a chat
message makes on its hot path run synchronously on the event loop's own thread, which
waits meanwhile. That is safe only for a read that is quick, so it happens only when
the caller says so, in one of two ways:

- ``Database.quick_read(statement)`` runs a lookup on its own (a tier card's account
  row, its recent changes, the conversation state) through
  :class:`bot.store.quick_reads.QuickReads`: a plain sqlite3 connection on the same
  file. This skips the asyncio layer as well as the thread.
- a statement marked with :func:`quick_read` (an execution option, which
  :func:`pass_on_quick_reads` hands from SQLAlchemy to the connection) that runs on an
  aiosqlite connection, as part of what that connection does, runs on the event
  loop's thread instead of the connection's own. The sqlite3 connection is then used
  by two threads, one at a time: every call on its thread holds a lock, and a quick
  statement that finds it held (a call still running there) takes the trip instead.

Either way the driver keeps the event loop safe whatever the caller marked:

- only a ``SELECT`` runs on the loop's thread: never a write, a commit or a rollback;
- the file is in WAL mode, where a read never waits for a writer's lock;
- a read that takes more than :data:`QUICK_READ_STEPS` SQLite VM steps (a scan of a
  large table, say, after an index went missing) is interrupted, having changed
  nothing, and run again on an aiosqlite connection's thread;
- a quick read sees every commit made before it began, by any connection: the quick
  connection never holds a transaction open between statements, so it is never
  staler than an ordinary read.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
from aiosqlite.context import contextmanager
from sqlalchemy import Engine, event
from sqlalchemy.engine.interfaces import DBAPICursor, ExecutionContext
from sqlalchemy.sql.base import Executable

PREFETCH = 256  # rows fetched in the trip that executes; more rows take another trip
QUICK_READ = "quick_read"  # the execution option that marks a statement as a quick read
# VM steps a quick read may take on the loop's thread: an indexed lookup of a few rows
# takes a few hundred; beyond this it is interrupted and run on a connection's thread.
QUICK_READ_STEPS = 20_000
STEP_GRAIN = 1_000  # how often, in VM steps, a quick read's budget is checked
# Quick reads never wait, so one event loop uses one connection at a time; more only
# open for readers on other threads.
QUICK_READ_POOL_SIZE = 1

T = TypeVar("T")
E = TypeVar("E", bound=Executable)


def quick_read(statement: E) -> E:
    """``statement`` marked to run on the event loop's thread (see the module's docstring)."""
    return statement.execution_options(**{QUICK_READ: True})


def pass_on_quick_reads(engine: Engine) -> None:
    """Tell this driver's connections which statements ``engine`` runs are quick reads."""
    event.listen(engine, "before_cursor_execute", _mark_quick_read)


def _mark_quick_read(
    connection: Any,
    cursor: DBAPICursor,
    statement: str,
    parameters: Any,
    context: ExecutionContext | None,
    executemany: bool,
) -> None:
    if context is None or executemany or not context.execution_options.get(QUICK_READ):
        return
    driver = connection.connection.driver_connection
    if isinstance(driver, Connection):
        driver.quick_read_next = True  # taken by the execute that follows at once


class Cursor(aiosqlite.Cursor):
    """A cursor that gets a fresh sqlite3 cursor, on the thread, for each statement."""

    def __init__(self, connection: Connection) -> None:
        super().__init__(connection, None)  # type: ignore[arg-type]
        self._owner = connection
        self._rows: deque[Any] = deque()
        self._open = False  # the sqlite3 cursor still has rows to fetch
        self._arraysize = 1  # sqlite3's default

    # -- on the connection's thread

    def _start(self) -> sqlite3.Cursor:
        if self._cursor is not None:
            self._cursor.close()
        cursor = self._owner.sqlite_connection.cursor()
        cursor.arraysize = self._arraysize
        self._cursor = cursor
        return cursor

    def _run(self, sql: str, parameters: Any) -> tuple[list[Any], bool]:
        cursor = self._start()
        try:
            cursor.execute(sql, parameters)
            rows = cursor.fetchmany(PREFETCH) if cursor.description is not None else []
        except BaseException:
            cursor.close()
            raise
        more = len(rows) == PREFETCH
        if not more:
            cursor.close()
        return rows, more

    def _run_many(self, sql: str, parameters: Any) -> None:
        self._start().executemany(sql, parameters).close()

    def _run_script(self, script: str) -> None:
        self._start().executescript(script).close()

    def _fetch(self, size: int | None) -> tuple[list[Any], bool]:
        assert self._cursor is not None
        rows = self._cursor.fetchall() if size is None else self._cursor.fetchmany(size)
        more = size is not None and len(rows) == size
        if not more:
            self._cursor.close()
        return rows, more

    # -- on the event loop

    async def _trip(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function`` on the connection's thread."""
        result: T = await self._execute(function, *args)  # type: ignore[no-untyped-call]
        return result

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> Cursor:
        parameters = [] if parameters is None else parameters
        done = None
        if self._owner.take_quick_read() and _is_select(sql):
            done = self._owner.run_quickly(self._run, sql, parameters)
        if done is None:
            done = await self._trip(self._run, sql, parameters)
        rows, self._open = done
        self._rows = deque(rows)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> Cursor:
        self._owner.take_quick_read()
        self._rows.clear()
        self._open = False
        await self._trip(self._run_many, sql, parameters)
        return self

    async def executescript(self, sql_script: str) -> Cursor:
        self._owner.take_quick_read()
        self._rows.clear()
        self._open = False
        await self._trip(self._run_script, sql_script)
        return self

    async def fetchone(self) -> Any:
        if not self._rows and self._open:
            await self._fill(1)
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        wanted = self._arraysize if size is None else size
        if len(self._rows) < wanted and self._open:
            await self._fill(wanted - len(self._rows))
        return [self._rows.popleft() for _ in range(min(wanted, len(self._rows)))]

    async def fetchall(self) -> list[Any]:
        if self._open:
            await self._fill(None)
        rows = list(self._rows)
        self._rows.clear()
        return rows

    async def _fill(self, size: int | None) -> None:
        rows, self._open = await self._trip(self._fetch, size)
        self._rows.extend(rows)

    async def close(self) -> None:
        if self._open and self._cursor is not None:
            await self._trip(self._cursor.close)
        self._rows.clear()
        self._open = False

    @property
    def rowcount(self) -> int:
        return -1 if self._cursor is None else self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return None if self._cursor is None else self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    @property
    def description(self) -> Any:
        return None if self._cursor is None else self._cursor.description


def _is_select(sql: str) -> bool:
    return sql.lstrip()[:6].upper() == "SELECT"


class StepBudget:
    """A progress handler that interrupts a statement once it has run about
    :data:`QUICK_READ_STEPS` SQLite VM steps; install it with :meth:`install`.

    SQLite counts the steps that trigger a progress handler over the whole life of a
    prepared statement, not per run, and sqlite3 keeps prepared statements in a cache:
    a handler that fired every QUICK_READ_STEPS steps would interrupt a lookup of 200
    steps on every hundredth run, and one of 5,000 on every fourth. So the handler is
    called every :data:`STEP_GRAIN` steps and interrupts only on the call that exhausts
    the budget: a statement runs at least ``QUICK_READ_STEPS - STEP_GRAIN`` steps of its
    own before it is interrupted.
    """

    def __init__(self, steps: int | None = None) -> None:
        if steps is None:
            steps = QUICK_READ_STEPS  # read now: tests lower it
        self.grain = max(1, min(STEP_GRAIN, steps // 2))
        self.calls_left = max(1, steps // self.grain)
        self.spent = False

    def install(self, connection: sqlite3.Connection) -> None:
        connection.set_progress_handler(self, self.grain)

    def __call__(self) -> bool:
        self.calls_left -= 1
        if self.calls_left > 0:
            return False
        self.spent = True
        return True


class Connection(aiosqlite.Connection):
    def __init__(self, connector: Callable[[], sqlite3.Connection], iter_chunk_size: int) -> None:
        super().__init__(connector, iter_chunk_size)
        # Held by every call on the connection's thread; a quick read on the loop's
        # thread runs only while it is free, so the two never use sqlite3 at once.
        self._in_use = threading.Lock()
        self.quick_read_next = False  # set by SQLAlchemy's event for the next execute

    def take_quick_read(self) -> bool:
        """Whether the statement about to run was marked as a quick read (once)."""
        quick, self.quick_read_next = self.quick_read_next, False
        return quick

    def run_quickly(
        self, function: Callable[..., T], *args: Any, steps: int | None = None
    ) -> T | None:
        """``function(*args)`` here on the loop's thread, or None when it should take the
        trip instead: the thread is busy for this connection, or the statement ran over
        ``steps`` (:data:`QUICK_READ_STEPS` unless given; it was interrupted, having
        changed nothing)."""
        if not self._in_use.acquire(blocking=False):
            return None
        try:
            connection = self._connection
            if connection is None:
                return None  # closed: the trip reports it
            budget = StepBudget(steps)
            budget.install(connection)
            try:
                return function(*args)
            except sqlite3.OperationalError:
                if budget.spent:
                    return None
                raise
            finally:
                connection.set_progress_handler(None, 0)
        finally:
            self._in_use.release()

    async def _execute(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        result: T = await super()._execute(self._exclusively, fn, *args, **kwargs)  # type: ignore[no-untyped-call]
        return result

    def _exclusively(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        # On the connection's thread.
        with self._in_use:
            return fn(*args, **kwargs)

    @property
    def sqlite_connection(self) -> sqlite3.Connection:
        """The sqlite3 connection; use it on the connection's thread only."""
        return self._conn

    @contextmanager
    async def cursor(self) -> aiosqlite.Cursor:
        return Cursor(self)

    async def read(
        self, function: Callable[[sqlite3.Connection], T], *, steps: int | None = None
    ) -> T:
        """``function(sqlite3 connection)``: a few quick reads together, on the loop's
        thread when :meth:`run_quickly` can (within ``steps``), otherwise in one trip to
        the connection's thread instead of one trip each."""
        done = self.run_quickly(function, self._conn, steps=steps)
        return done if done is not None else await self._execute(function, self._conn)

    async def commit(self) -> None:
        # Reading the flag off the thread is safe: no statement of this connection runs now.
        if self.in_transaction:
            await super().commit()

    async def rollback(self) -> None:
        if self.in_transaction:
            await super().rollback()


def connect(database: str | Path, **options: Any) -> Connection:
    """Like :func:`aiosqlite.connect`; SQLAlchemy awaits it as its ``async_creator_fn``."""
    iter_chunk_size = options.pop("iter_chunk_size", 64)
    # Quick reads use the connection on the loop's thread too, never at the same time
    # as its own thread (see Connection.run_quickly).
    options["check_same_thread"] = False
    connection = Connection(_connector(str(database), options), iter_chunk_size)
    # As SQLAlchemy does for its own aiosqlite connections: never keep the process alive.
    connection._thread.daemon = True
    return connection


def _connector(database: str, options: dict[str, Any]) -> Callable[[], sqlite3.Connection]:
    def connector() -> sqlite3.Connection:
        connection: sqlite3.Connection = sqlite3.connect(database, **options)
        return connection

    return connector
