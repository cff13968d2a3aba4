"""Quick reads of a PostgreSQL database on a few asyncpg connections of their own.

A lookup by index takes PostgreSQL a fraction of a millisecond; through SQLAlchemy's
asyncio engine it takes several round trips more: checking a pooled connection out pings
it inside a transaction of its own (BEGIN, a query, ROLLBACK), the first statement
opens a transaction, and checking in rolls it back. A name search of two statements
made seven round trips. So the lookups of the chat path (a card's account row, its
recent changes, the conversation state, a name search) run here instead: each statement
is prepared once (:mod:`bot.store.prepared`) and run on a small asyncpg pool that only
these reads use, outside any transaction, each statement seeing everything committed
before it began. A connection goes back to the pool without a reset query: nothing
here changes the session.

These connections only serve index lookups, so they run with sequential scans
disabled: with a LIMIT, and statistics out of date after a bulk load, the planner may
otherwise hope to find a few rows early in a scan of a million, and read them all.

Whenever this path cannot answer (a statement it cannot prepare, the server out of
reach, any error), it says so by returning :data:`UNAVAILABLE`, and the caller runs
the reads the ordinary way, which reports errors as usual. After a connection
failure it stays out of the way for a few seconds, so an outage costs each read one
failed attempt at most.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import SimpleNamespace
from typing import Any, Final, TypeVar

import asyncpg
from sqlalchemy.engine import URL
from sqlalchemy.engine.interfaces import Dialect

from bot.store.prepared import PreparedCache, Statement

T = TypeVar("T")

POOL_SIZE = 4  # connections at most: a quick read takes a millisecond or two
CONNECT_TIMEOUT_SECONDS = 5.0
# After a connection failure, quick reads step aside this long (the ordinary way answers).
RETRY_AFTER_SECONDS = 5.0
_SERVER_SETTINGS = {
    # JIT compiling a plan costs milliseconds, never worth it for a lookup.
    "jit": "off",
    "enable_seqscan": "off",
    "plan_cache_mode": "force_generic_plan",
}
# What a failure of this path looks like: the server's errors, a broken connection, a
# connect that timed out. Any of them: the ordinary way runs and reports it.
_FAILURES = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)
# ...and those of them that say the server is out of reach, for now.
_LOST = (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, OSError, TimeoutError)


class _Unavailable:
    """The answer when quick reads could not run: run the reads the ordinary way."""

    def __repr__(self) -> str:
        return "UNAVAILABLE"


UNAVAILABLE: Final = _Unavailable()


class PostgresReader:
    """Reads on one quick connection (see the module's docstring)."""

    dialect_name = "postgresql"

    def __init__(self, connection: asyncpg.Connection, prepared: PreparedCache) -> None:
        self._connection = connection
        self._prepared = prepared

    async def rows(
        self, statement: Statement, parameters: Mapping[str, Any] | None = None
    ) -> Sequence[Any]:
        """The rows of ``statement``, as SQLAlchemy would give them.

        Raises :class:`QuickReadFailed` when it cannot run here.
        """
        prepared = self._prepared.get(statement)
        if prepared is None:
            raise QuickReadFailed(f"not prepared here: {statement}")
        try:
            values = prepared.values(parameters)
        except KeyError as exc:
            raise QuickReadFailed(str(exc)) from exc
        try:
            if prepared.needs_description:  # once per statement
                described = await self._connection.prepare(prepared.sql)
                codes = [attribute.type.oid for attribute in described.get_attributes()]
                prepared = prepared.described(codes)
                self._prepared.keep(statement, prepared)
            fetched = await self._connection.fetch(prepared.sql, *values)
        except _FAILURES as exc:
            lost = isinstance(exc, _LOST) or self._connection.is_closed()
            raise QuickReadFailed(str(exc), lost=lost) from exc
        return prepared.rows(fetched)

    async def forbid_scans(self) -> None:
        """Nothing to do: these connections never scan where an index answers."""


class QuickReadFailed(Exception):
    """A read on a quick connection could not run; the ordinary way should. ``lost``: the
    server seems out of reach, not just unwilling to run this statement."""

    def __init__(self, message: str, *, lost: bool = False) -> None:
        super().__init__(message)
        self.lost = lost


class PostgresQuickReads:
    """Quick reads of one PostgreSQL database (see the module's docstring).

    Nothing connects until the first read. ``dialect`` is the asyncio engine's, so
    statements compile and values convert exactly as there.
    """

    def __init__(self, url: URL, dialect: Dialect, size: int = POOL_SIZE) -> None:
        _, options = dialect.create_connect_args(url)
        # Options of SQLAlchemy's adapter, not of asyncpg's connect.
        for adapter_only in ("prepared_statement_cache_size", "prepared_statement_name_func"):
            options.pop(adapter_only, None)
        self._options: dict[str, Any] = dict(options)
        self._dialect = dialect
        self._size = size
        self._prepared = PreparedCache(dialect, describe=True)
        self._pool: asyncpg.Pool | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._opening = asyncio.Lock()
        self._resting_until = 0.0

    async def rows(
        self, statement: Statement, parameters: Mapping[str, Any] | None = None
    ) -> Sequence[Any] | _Unavailable:
        """All rows of ``statement``, or UNAVAILABLE (see the module's docstring)."""
        return await self.run(lambda reader: reader.rows(statement, parameters))

    async def run(self, work: Callable[[PostgresReader], Awaitable[T]]) -> T | _Unavailable:
        """``work(reader)`` on one quick connection, or UNAVAILABLE when any of its reads
        could not run here: then the caller runs ``work``'s reads the ordinary way."""
        pool = await self._pool_for_now()
        if pool is None:
            return UNAVAILABLE
        try:
            async with pool.acquire() as connection:
                return await work(PostgresReader(connection, self._prepared))
        except QuickReadFailed as failed:
            if failed.lost:
                self._rest()
            return UNAVAILABLE
        except _FAILURES:  # acquiring, or a connection the pool replaced, failed
            self._rest()
            return UNAVAILABLE

    async def dispose(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if self._loop is asyncio.get_running_loop():
            await pool.close()
        else:
            pool.terminate()  # its loop is gone: nothing left to wait for

    async def _pool_for_now(self) -> asyncpg.Pool | None:
        """The pool of the running event loop, opened on first use; None while resting."""
        if time.monotonic() < self._resting_until:
            return None
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # Made on another loop (a test's), which can no longer use it.
            stale, self._pool = self._pool, None
            if stale is not None:
                stale.terminate()
            self._loop, self._opening = loop, asyncio.Lock()
        async with self._opening:  # two first reads at once open one pool
            if self._pool is None:
                try:
                    self._pool = await asyncpg.create_pool(
                        min_size=0,
                        max_size=self._size,
                        init=self._set_up,
                        reset=_keep_as_is,
                        timeout=CONNECT_TIMEOUT_SECONDS,
                        server_settings=_SERVER_SETTINGS,
                        **self._options,
                    )
                except _FAILURES:
                    self._rest()
        return self._pool

    async def _set_up(self, connection: asyncpg.Connection) -> None:
        """Decode JSON exactly as SQLAlchemy's asyncpg connections do, so the same result
        processors read the same values."""
        adapted = SimpleNamespace(_connection=connection)
        await self._dialect.setup_asyncpg_json_codec(adapted)  # type: ignore[attr-defined]
        await self._dialect.setup_asyncpg_jsonb_codec(adapted)  # type: ignore[attr-defined]

    def _rest(self) -> None:
        self._resting_until = time.monotonic() + RETRY_AFTER_SECONDS


async def _keep_as_is(connection: asyncpg.Connection) -> None:
    """Nothing to reset between reads: none of them changes the session."""
