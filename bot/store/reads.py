"""Readers: what runs a read-only use-case's statements, whichever way they travel.

A read that is a few index lookups (a name search, say) runs on whatever is quickest:
PostgreSQL's quick connections (:mod:`bot.store.postgres_quick_reads`), or an ordinary
connection of the asyncio engine. Both offer the same two calls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.prepared import Statement


class Reader(Protocol):
    """Runs statements for a read-only use-case."""

    @property
    def dialect_name(self) -> str: ...

    async def rows(
        self, statement: Statement, parameters: Mapping[str, Any] | None = None
    ) -> Sequence[Any]:
        """Every row of ``statement``, as SQLAlchemy gives them."""
        ...

    async def forbid_scans(self) -> None:
        """From now on, read through indexes where any answers (PostgreSQL)."""
        ...


class ConnectionReader:
    """A :class:`Reader` on an ordinary connection of the asyncio engine."""

    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    @property
    def dialect_name(self) -> str:
        return self.connection.dialect.name

    async def rows(
        self, statement: Statement, parameters: Mapping[str, Any] | None = None
    ) -> Sequence[Any]:
        return (await self.connection.execute(statement, parameters)).all()

    async def forbid_scans(self) -> None:
        # The planner costs trigram LIKE as cheap to check row by row and, with a LIMIT,
        # would scan a table hoping to stop early; for a rare name that reads it all.
        # Within this transaction only, it must use the indexes.
        if self.dialect_name == "postgresql":
            await self.connection.execute(_INDEXES_ONLY)


_INDEXES_ONLY = text("SET LOCAL enable_seqscan = off")
