"""aiosqlite connections that make one trip to their thread per statement.

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
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite
from aiosqlite.context import contextmanager

PREFETCH = 256  # rows fetched in the trip that executes; more rows take another trip

T = TypeVar("T")


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
        rows, self._open = await self._trip(
            self._run, sql, [] if parameters is None else parameters
        )
        self._rows = deque(rows)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> Cursor:
        self._rows.clear()
        self._open = False
        await self._trip(self._run_many, sql, parameters)
        return self

    async def executescript(self, sql_script: str) -> Cursor:
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


class Connection(aiosqlite.Connection):
    @property
    def sqlite_connection(self) -> sqlite3.Connection:
        """The sqlite3 connection; use it on the connection's thread only."""
        return self._conn

    @contextmanager
    async def cursor(self) -> aiosqlite.Cursor:
        return Cursor(self)

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
    connection = Connection(_connector(str(database), options), iter_chunk_size)
    # As SQLAlchemy does for its own aiosqlite connections: never keep the process alive.
    connection._thread.daemon = True
    return connection


def _connector(database: str, options: dict[str, Any]) -> Callable[[], sqlite3.Connection]:
    def connector() -> sqlite3.Connection:
        connection: sqlite3.Connection = sqlite3.connect(database, **options)
        return connection

    return connector
