"""Engines and sessions for SQLite (embedded default) and PostgreSQL (production)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, Literal, TypeVar, cast

from sqlalchemy import Select, event, text
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.engine.interfaces import ExceptionContext
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from bot.store import (
    name_index,  # noqa: F401 - its flush listener keeps the word index
    sqlite_driver,
)
from bot.store.errors import ConcurrentUpdateError, DatabaseUnavailableError
from bot.store.postgres_quick_reads import UNAVAILABLE, PostgresQuickReads
from bot.store.quick_reads import QuickReads
from bot.store.reads import ConnectionReader, Reader

T = TypeVar("T")

DEFAULT_URL = "sqlite+aiosqlite:///./tierbot.db"
_SQLITE_CACHE_KIB = 16 * 1024  # per connection

DialectName = Literal["sqlite", "postgresql"]

# People paste URLs without a driver; the bot only runs on asyncio drivers.
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}

# Chat handlers and the scheduler write at the same moment; wait for SQLite's
# single writer lock instead of failing with "database is locked" at once.
_SQLITE_BUSY_TIMEOUT_MS = 5000
# Connections kept open to a SQLite file. Each chat update in flight holds one; beyond
# the pool's size a connection is opened for one use and closed again, which costs a
# thread, a file open and the PRAGMAs each time.
SQLITE_POOL_SIZE = 20


def normalize_url(url: str | URL) -> URL:
    """Parse ``url`` and use the asyncio driver tierbot ships with, whichever was named
    (``postgresql+psycopg2://`` as pasted from another tool works too).

    Raises ``ValueError`` for text that is no database URL, and for databases other
    than SQLite and PostgreSQL.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError(
            f"{str(url)!r} is not a database URL, e.g. postgresql://user:secret@host/tierbot "
            "or sqlite:///tierbot.db"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in _ASYNC_DRIVERS:
        raise ValueError(f"unsupported database {backend!r}: use sqlite or postgresql")
    return parsed.set(drivername=_ASYNC_DRIVERS[backend])


def create_engine(url: str | URL, **options: Any) -> AsyncEngine:
    """An async engine for ``url`` whose connection failures raise DatabaseUnavailableError."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "postgresql":
        # Connections idle in the pool die when the server restarts or a proxy
        # drops them; test each one before use instead of failing a request.
        options.setdefault("pool_pre_ping", True)
        # JIT compiling a plan costs milliseconds; worth it for analytics, never for the
        # short queries of a chat bot, whose cost the planner can misjudge into using it.
        options.setdefault("connect_args", {}).setdefault("server_settings", {"jit": "off"})
    elif "poolclass" not in options and parsed.database not in (None, "", ":memory:"):
        options.setdefault("pool_size", SQLITE_POOL_SIZE)  # (a memory database has one)
    engine = create_async_engine(parsed, **options)
    # aiosqlite as it comes makes several thread trips per query; ours makes one.
    driver = sqlite_driver.connect if parsed.drivername == "sqlite+aiosqlite" else None
    event.listen(engine.sync_engine, "do_connect", _connect_or_explain(parsed, driver))
    if driver is not None:
        sqlite_driver.pass_on_quick_reads(engine.sync_engine)
    event.listen(engine.sync_engine, "handle_error", _explain_disconnects(parsed), retval=True)
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", _configure_sqlite_connection)
    return engine


def quick_reads_for(url: str | URL) -> QuickReads | None:
    """Quick reads of ``url``'s database: a SQLite file's; None for other databases, and
    for a SQLite memory database, which a second engine would not see."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() != "sqlite" or not _is_file(parsed):
        return None
    listeners = [
        ("do_connect", _connect_or_explain(parsed)),
        ("handle_error", _explain_disconnects(parsed)),
    ]
    return QuickReads(parsed, _configure_sqlite_connection, listeners)


def _is_file(url: URL) -> bool:
    database = url.database or ""
    memory = database in ("", ":memory:") or database.startswith("file::memory:")
    return not memory and url.query.get("mode") != "memory"


class Database:
    """One database: its engine and a factory for sessions.

    Build one per process from a URL and pass it to whoever needs it; call
    :meth:`dispose` at shutdown. Nothing connects until the first query.
    """

    def __init__(self, url: str | URL, **engine_options: Any) -> None:
        self._engine = create_engine(url, **engine_options)
        self._quick_reads = quick_reads_for(self._engine.url)
        self._postgres_quick_reads = (
            PostgresQuickReads(self._engine.url, self._engine.dialect)
            if self._engine.dialect.name == "postgresql"
            else None
        )
        self._quick_read_engine = self._engine.execution_options(
            **{sqlite_driver.QUICK_READ: True}
        )
        self._sessions = async_sessionmaker(
            self._engine,
            sync_session_class=_Session,
            # Objects stay readable after commit: handlers commit, then render replies.
            expire_on_commit=False,
        )

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    @property
    def url(self) -> URL:
        return self._engine.url

    @property
    def dialect(self) -> DialectName:
        return cast(DialectName, self._engine.dialect.name)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session for one unit of work; commit explicitly, anything else rolls back.

        Flushing a stale versioned row raises ConcurrentUpdateError; losing the
        connection raises DatabaseUnavailableError.
        """
        async with self._sessions() as session:
            yield session

    def quick_read_session(self) -> AsyncSession:
        """A session for a lookup or two by index that has to go through a session: each
        statement is a quick read (see ``sqlite_driver``), run without waiting on a
        thread. It connects only when first used: one that never began holds nothing
        and needs no closing; one that did must be closed."""
        return self._sessions(bind=self._quick_read_engine)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """A connection for a read that needs no ORM objects: cheaper than a session.

        Losing the connection raises DatabaseUnavailableError, as in a session.
        """
        async with self._engine.connect() as connection:
            yield connection

    async def quick_read(
        self, statement: Select[*tuple[Any, ...]], parameters: Mapping[str, Any] | None = None
    ) -> Sequence[Any]:
        """The rows of a quick lookup: a SELECT of a few rows by an index, on its own.
        Each row reads like SQLAlchemy's: by column name as attribute, or by index.

        On a SQLite file it runs at once on this thread, which costs a fraction of a
        statement through the asyncio engine (see ``quick_reads``); on PostgreSQL on a
        quick connection (see :meth:`reading`); a lookup that turns out slow, and every
        one that cannot run so, runs on a connection as usual. Losing the connection
        raises DatabaseUnavailableError, as in a session.
        """
        if self._quick_reads is not None:
            quick = self._quick_reads.rows(statement, parameters)
            if quick is not None:
                return quick
        return await self.reading(lambda reader: reader.rows(statement, parameters))

    async def reading(self, work: Callable[[Reader], Awaitable[T]]) -> T:
        """``work(reader)`` for a read-only use-case of a few index lookups: on
        PostgreSQL's quick connections when they can run it (see
        ``postgres_quick_reads``), otherwise on a connection as usual. ``work`` may run a
        second time, on a connection, after its reads failed on a quick one."""
        if self._postgres_quick_reads is not None:
            done = await self._postgres_quick_reads.run(work)
            if done is not UNAVAILABLE:
                return cast(T, done)
        async with self.connection() as connection:
            return await work(ConnectionReader(connection))

    async def ping(self) -> None:
        """Connect and run a trivial query; raises DatabaseUnavailableError if that fails."""
        try:
            async with self._engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except DBAPIError as exc:
            raise DatabaseUnavailableError(self.url, str(exc.orig)) from exc

    async def dispose(self) -> None:
        """Close every pooled connection."""
        if self._quick_reads is not None:
            self._quick_reads.dispose()
        if self._postgres_quick_reads is not None:
            await self._postgres_quick_reads.dispose()
        await self._engine.dispose()


class _Session(Session):
    # Every write (commit, autoflush before a query, explicit flush) goes
    # through flush(), so this is the one place a stale version surfaces.
    def flush(self, objects: Sequence[Any] | None = None) -> None:
        try:
            super().flush(objects)
        except StaleDataError as exc:
            raise ConcurrentUpdateError(str(exc)) from exc


def _explain_disconnects(url: URL) -> Callable[[ExceptionContext], BaseException | None]:
    """A ``handle_error`` hook that turns a lost connection into DatabaseUnavailableError."""

    def handle_error(context: ExceptionContext) -> BaseException | None:
        # A failed pre-ping is handled by the pool, which simply reconnects.
        if context.is_disconnect and not context.is_pre_ping:
            return DatabaseUnavailableError(url, str(context.original_exception))
        return None

    return handle_error


def _connect_or_explain(url: URL, driver: Callable[..., Any] | None = None) -> Callable[..., Any]:
    """A ``do_connect`` hook that names the database when connecting fails.

    Drivers report a refused connection as a bare OSError without saying which
    database was meant; people configuring the bot need the URL. ``driver`` makes
    the driver-level connection in place of the driver's own ``connect``.
    """
    creator = {} if driver is None else {"async_creator_fn": driver}

    def do_connect(
        dialect: Dialect, connection_record: Any, cargs: list[Any], cparams: dict[str, Any]
    ) -> Any:
        try:
            return dialect.connect(*cargs, **cparams, **creator)
        except (OSError, dialect.loaded_dbapi.Error) as exc:
            raise DatabaseUnavailableError(url, str(exc) or type(exc).__name__) from exc

    return do_connect


def _configure_sqlite_connection(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        # WAL lets the chat handlers read while the scheduler writes.
        cursor.execute("PRAGMA journal_mode=WAL")
        # With WAL, NORMAL never corrupts the file; a power cut may lose the last commits,
        # and each commit skips an fsync, which makes every chat update several times faster.
        cursor.execute("PRAGMA synchronous=NORMAL")
        # SQLite ignores foreign keys unless asked, per connection.
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
        # The default 2 MB holds little more than the top of the indexes a lookup walks;
        # pages are only kept once read, so an idle connection stays small.
        cursor.execute(f"PRAGMA cache_size=-{_SQLITE_CACHE_KIB}")
    finally:
        cursor.close()
