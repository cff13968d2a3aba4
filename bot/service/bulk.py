"""Writing many accounts' rows at once: shared by rescoring, imports and benchmarks.

Values reach the driver already converted by each column's own type, so they are stored
exactly as SQLAlchemy would store them, but without its per-row parameter handling (and
far from a unit-of-work flush of ORM objects), which costs several times what the
database spends on the rows. SQLite inserts with one executemany (its C loop is fast) and
updates with one statement over a VALUES list; PostgreSQL gets one statement per batch
over arrays, since an executemany there is a round of the protocol per row.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import repeat
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, false, func, insert, literal, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.service.actor import Actor
from bot.service.context import ServiceContext
from bot.service.outbox import Alert, queue_alerts
from bot.store.enums import ScoreCause
from bot.store.tables import Account, AuditEntry, ScoreHistory, TierChange
from scoring import CompiledModel

_ACCOUNTS = cast(Table, Account.__table__)
_HISTORY = cast(Table, ScoreHistory.__table__)
_AUDIT = cast(Table, AuditEntry.__table__)
_CHANGES = cast(Table, TierChange.__table__)
_AUDIT_COLUMNS = (
    "at",
    "actor_id",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "channel",
    "before",
    "after",
)
# SQLite's default limit on a statement's parameters (SQLITE_MAX_VARIABLE_NUMBER).
_SQLITE_PARAMETERS = 32_766
_CHANGE_COLUMNS = (
    "account_id",
    "changed_at",
    "old_tier",
    "new_tier",
    "old_score",
    "new_score",
    "cause",
    "actor_id",
    "reasons",
)


# -- multi-row writes -------------------------------------------------------------------


async def lock_for_writing(session: AsyncSession) -> None:
    """Take SQLite's write lock now, before reading what will be written.

    SQLite lets one writer in at a time and takes the lock at the first write, so a
    read-then-write transaction could find its rows changed by the time it writes; an
    UPDATE of no rows takes the lock at once. PostgreSQL readers lock rows with FOR UPDATE
    instead, and there this statement does nothing.
    """
    await session.execute(update(_ACCOUNTS).where(false()).values(version=_ACCOUNTS.c.version))


class JsonText(str):
    """A JSON document already serialised: bulk writes pass it on as it is.

    A column's values are either all JsonText or all plain values for the column's type.
    """

    __slots__ = ()


def json_object_texts(columns: Mapping[str, Sequence[float]]) -> list[JsonText]:
    """Rows of ``{"name": number, ...}`` as JSON text, the way ``json.dumps`` writes them.

    Formatting one template per row is several times faster than ``json.dumps`` of a
    dict, which matters when every account of a batch gets new sub-scores; ``%`` is
    faster again than ``str.format``. ``repr`` writes a float as ``json.dumps`` does.
    """
    names = list(columns)
    keys = (json.dumps(name).replace("%", "%%") for name in names)
    template = "{" + ", ".join(f"{key}: %r" for key in keys) + "}"
    values = zip(*(columns[name] for name in names), strict=True)
    return list(map(JsonText, map(template.__mod__, values)))


async def update_many(
    session: AsyncSession,
    table: Table,
    key: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    also: Sequence[str] = (),
) -> None:
    """``UPDATE table SET column = ... WHERE key = ...`` per row: the values, then the key.

    ``also`` adds assignments written in SQL that take no value, e.g. a version bump.
    """
    if rows:
        given = dict(zip((*columns, key), zip(*rows, strict=True), strict=True))
        await update_columns(session, table, key, given, also=also)


@dataclass(frozen=True, slots=True)
class StampWhenChanged:
    """Set ``column`` to ``value`` in the rows whose ``changed`` column gets a new value
    (a tier's "since" when the tier moves), leaving it as it is in the others."""

    column: str
    changed: str
    value: Any


async def update_columns(
    session: AsyncSession,
    table: Table,
    key: str,
    given: Mapping[str, Sequence[Any]],
    *,
    also: Sequence[str] = (),
    stamp: StampWhenChanged | None = None,
) -> None:
    """As :func:`update_many`, with each column's values (``key``'s among them) in a list
    of its own: rows as columns need no tuple per row, here or in the caller. ``stamp``
    is written by the same statement, compared with each row's value before it."""
    columns = [name for name in given if name != key]
    names = (*columns, key)
    if not given[key]:
        return
    connection = await session.connection()
    dialect = connection.dialect
    cells = _converted(dialect, [table.c[c] for c in names], [given[c] for c in names])
    stamped = _stamp_value(dialect, table, stamp)
    if dialect.name == "postgresql":
        assignments = [f"{c} = given.{c}" for c in columns] + list(also)
        if stamp is not None:
            assignments.append(
                _stamping(
                    table,
                    stamp,
                    f"given.{stamp.changed}",
                    f"${len(names) + 1}",
                    "IS NOT DISTINCT FROM",
                )
            )
        sql = (
            f"UPDATE {table.name} SET {', '.join(assignments)} "
            f"FROM ({_unnest(dialect, table, names)}) AS given "
            f"WHERE {table.name}.{key} = given.{key}"
        )
        values = tuple(list(values) for values in cells)
        await connection.exec_driver_sql(sql, (*values, *stamped))
        return
    by_name = dict(zip(names, cells, strict=True))
    await _update_sqlite(connection, table, key, by_name, also, stamp, stamped)


def _stamp_value(dialect: Dialect, table: Table, stamp: StampWhenChanged | None) -> tuple[Any, ...]:
    """The stamp's value as the driver takes it: none without a stamp."""
    if stamp is None:
        return ()
    convert = table.c[stamp.column].type.dialect_impl(dialect).bind_processor(dialect)
    return (stamp.value if convert is None else convert(stamp.value),)


def _stamping(table: Table, stamp: StampWhenChanged, new: str, value: str, same_as: str) -> str:
    """The assignment of a stamp: ``new`` is the changed column's new value, ``value`` the
    stamp's parameter. On both databases the right-hand side reads the row as it was."""
    return (
        f"{stamp.column} = CASE WHEN {table.name}.{stamp.changed} {same_as} {new} "
        f"THEN {table.name}.{stamp.column} ELSE {value} END"
    )


async def _update_sqlite(
    connection: AsyncConnection,
    table: Table,
    key: str,
    cells: Mapping[str, Iterable[Any]],
    also: Sequence[str],
    stamp: StampWhenChanged | None,
    stamped: tuple[Any, ...],
) -> None:
    """SQLite's side of :func:`update_columns`, ``cells`` being converted values.

    One statement per chunk, not an executemany: SQLite then runs the whole chunk in
    one step, without taking the GIL back for every row, which is what a statement
    sharing the process with busy Python threads waits longest for. A value every row
    shares (``_converted`` repeats it) is bound once, not once per row: fewer values to
    bind and to carry through the VALUES list, and more rows in a chunk.
    """
    shared = {c: next(iter(v)) for c, v in cells.items() if isinstance(v, repeat) and c != key}
    varying = [c for c in cells if c not in shared and c != key]
    assignments = [f"{c} = ?" for c in shared]
    assignments += [f"{c} = given.column{i}" for i, c in enumerate(varying, 1)] + list(also)
    if stamp is not None:
        new = f"given.column{varying.index(stamp.changed) + 1}" if stamp.changed in varying else "?"
        assignments.append(_stamping(table, stamp, new, "?", "IS"))
        # The stamp's parameters come after the shared values, in the order they appear.
        stamped = (shared[stamp.changed], *stamped) if stamp.changed in shared else stamped
    values = [list(cells[c]) for c in (*varying, key)]
    size = (_SQLITE_PARAMETERS - len(shared) - len(stamped)) // len(values)
    for start in range(0, len(values[0]), size):
        chunk = [value[start : start + size] for value in values]
        row = "(" + ", ".join("?" * len(values)) + ")"
        sql = (
            f"UPDATE {table.name} SET {', '.join(assignments)} "
            f"FROM (VALUES {', '.join([row] * len(chunk[0]))}) AS given "
            f"WHERE {table.name}.{key} = given.column{len(values)}"
        )
        await connection.exec_driver_sql(sql, (*shared.values(), *stamped, *_interleaved(chunk)))


def _interleaved(columns: Sequence[list[Any]]) -> tuple[Any, ...]:
    """Columns of equal length as one run of values, row after row."""
    width = len(columns)
    values: list[Any] = [None] * (width * len(columns[0]))
    for i, column in enumerate(columns):
        values[i::width] = column
    return tuple(values)


async def insert_many(
    session: AsyncSession, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """``INSERT INTO table (columns) VALUES (...)`` per row."""
    if not rows:
        return
    connection = await session.connection()
    cells = _cells(connection.dialect, [table.c[c] for c in columns], rows)
    into = f"INSERT INTO {table.name} ({', '.join(columns)})"
    if connection.dialect.name == "postgresql":
        sql = f"{into} {_unnest(connection.dialect, table, columns)}"
        await connection.exec_driver_sql(sql, tuple(list(values) for values in cells))
        return
    sql = f"{into} VALUES ({', '.join('?' * len(columns))})"
    await connection.exec_driver_sql(sql, list(zip(*cells, strict=True)))


def _unnest(dialect: Dialect, table: Table, columns: Sequence[str]) -> str:
    """PostgreSQL: the rows as one array per column, so the statement runs once per batch
    instead of once per row (what an executemany does there)."""
    arrays = [
        f"unnest(CAST(${i} AS {table.c[c].type.dialect_impl(dialect).compile(dialect=dialect)}[]))"
        f" AS {c}"
        for i, c in enumerate(columns, 1)
    ]
    return f"SELECT {', '.join(arrays)}"


def _cells(
    dialect: Dialect, columns: Sequence[ColumnElement[Any]], rows: Sequence[Sequence[Any]]
) -> list[Iterable[Any]]:
    """The rows' values column by column, converted by each column's type for the driver."""
    return _converted(dialect, columns, list(zip(*rows, strict=True)))


def _converted(
    dialect: Dialect, columns: Sequence[ColumnElement[Any]], values: Sequence[Sequence[Any]]
) -> list[Iterable[Any]]:
    """Each column's ``values`` converted by the column's type for the driver.

    Column-wise conversion runs in C (map); a value every row shares (a timestamp, a
    model name) is converted once, and comes back as a ``repeat`` of it.
    """
    cells: list[Iterable[Any]] = list(values)
    for i, column in enumerate(columns):
        first = values[i][0]
        convert = _converter(column.type.dialect_impl(dialect).bind_processor(dialect), first)
        if convert is None:
            continue
        if all(value is first for value in values[i]):
            cells[i] = repeat(convert(first), len(values[i]))
        else:
            cells[i] = map(convert, values[i])
    return cells


def _converter(convert: Callable[[Any], Any] | None, sample: Any) -> Callable[[Any], Any] | None:
    # Serialised JSON goes to the driver as it is: that is what the JSON type would send.
    return None if isinstance(sample, JsonText) else convert


@dataclass(frozen=True, slots=True)
class Move:
    """A visible tier move to record, with what its alert needs."""

    account_id: int
    account_name: str
    owner_id: int | None
    old_tier: str | None
    new_tier: str
    old_score: float | None
    new_score: float | None
    reasons: list[str]


def id_chunks(ids: Sequence[int], size: int = 5_000) -> Iterator[ColumnElement[bool]]:
    """``accounts.id IN (...)`` for at most ``size`` ids at a time (drivers limit parameters)."""
    for start in range(0, len(ids), size):
        yield _ACCOUNTS.c.id.in_(ids[start : start + size])


async def copy_to_history(
    session: AsyncSession,
    accounts_saved: ColumnElement[bool],
    model: CompiledModel,
    cause: ScoreCause,
    now: datetime,
) -> None:
    """Record the current score and tier of the accounts ``accounts_saved`` selects.

    Call it after the accounts were saved: the rows are copied inside the database in one
    statement, so no value makes a round trip through Python.
    """
    accounts = _ACCOUNTS.c
    source = select(
        accounts.id,
        literal(now, _HISTORY.c.scored_at.type),
        accounts.score,
        accounts.sub_scores,
        accounts.tier,
        literal(model.name, _HISTORY.c.model_name.type),
        literal(model.version, _HISTORY.c.model_version.type),
        literal(cause, _HISTORY.c.cause.type),
    ).where(accounts_saved)
    columns = ["account_id", "scored_at", "score", "sub_scores", "tier", "model_name"]
    columns += ["model_version", "cause"]
    await session.execute(insert(_HISTORY).from_select(columns, source))


async def add_audit(
    session: AsyncSession,
    actor: Actor,
    action: str,
    entries: list[tuple[int, dict[str, Any] | None, dict[str, Any]]],
    now: datetime,
) -> None:
    """One audit entry per (account id, before, after)."""
    who = (actor.person_id, actor.label, action)
    rows = [
        (now, *who, "account", str(account_id), actor.channel, before, after)
        for account_id, before, after in entries
    ]
    await insert_many(session, _AUDIT, _AUDIT_COLUMNS, rows)


async def add_moves(
    session: AsyncSession,
    ctx: ServiceContext,
    actor: Actor,
    model: CompiledModel,
    moves: list[Move],
    *,
    cause: ScoreCause,
    notify: bool,
) -> None:
    """Record tier changes; with ``notify``, queue their alerts in the same transaction."""
    if not moves:
        return
    now = ctx.clock.now()
    rows = [
        (
            m.account_id,
            now,
            m.old_tier,
            m.new_tier,
            m.old_score,
            m.new_score,
            cause,
            actor.person_id,
            m.reasons,
        )
        for m in moves
    ]
    # Alerts go to owners and to the channels routed to; with neither there is nobody
    # to tell, and no change's id to carry.
    if not notify or not (ctx.alert_routes or any(m.owner_id is not None for m in moves)):
        await insert_many(session, _CHANGES, _CHANGE_COLUMNS, rows)
        return
    # Alerts carry the change's id, so these rows come back with theirs.
    ids = await _insert_changes(session, rows)
    values = [dict(zip(_CHANGE_COLUMNS, row, strict=True)) for row in rows]
    alerts = [
        Alert(TierChange(id=change_id, **row), move.account_name, move.owner_id, actor.name)
        for change_id, row, move in zip(ids, values, moves, strict=True)
    ]
    await queue_alerts(session, alerts, routes=ctx.alert_routes, model=model, now=now)


async def _insert_changes(session: AsyncSession, rows: list[tuple[Any, ...]]) -> list[int]:
    """Insert tier changes; their ids, in the order of ``rows``.

    SQLite cannot promise RETURNING's order for many rows, so SQLAlchemy would insert
    them one statement at a time (a trip to the driver's thread each: most of the cost
    of a model activation's thousands of changes). Under SQLite's write lock nobody else
    inserts, so the ids can be chosen up front and the rows written in one executemany.
    """
    connection = await session.connection()
    if connection.dialect.name != "sqlite":
        query = insert(_CHANGES).returning(_CHANGES.c.id, sort_by_parameter_order=True)
        values = [dict(zip(_CHANGE_COLUMNS, row, strict=True)) for row in rows]
        return list((await session.execute(query, values)).scalars())
    await lock_for_writing(session)
    last = await session.scalar(select(func.max(_CHANGES.c.id))) or 0
    numbered = [(last + k, *row) for k, row in enumerate(rows, 1)]
    await insert_many(session, _CHANGES, ("id", *_CHANGE_COLUMNS), numbered)
    return [row[0] for row in numbered]
