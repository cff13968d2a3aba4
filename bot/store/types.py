"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Enum
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

# JSONB on PostgreSQL so the alias list can carry a trigram index and JSON
# operators stay fast; plain JSON text everywhere else.
JSONDocument: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")

# For optional documents: Python None becomes SQL NULL, not the JSON text 'null'.
NullableJSONDocument: TypeEngine[Any] = JSON(none_as_null=True).with_variant(
    JSONB(none_as_null=True), "postgresql"
)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python.

    SQLite has no timezone-aware type and hands back naive values, so the UTC
    offset is stripped on the way in and put back on the way out. Naive input is
    refused: guessing its zone would silently shift alerts and digests by hours.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored; attach a time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def string_enum(enum: type[StrEnum], name: str) -> Enum:
    """A VARCHAR column limited to ``enum``'s values by a CHECK constraint named ``name``."""
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        validate_strings=True,
        # Store the values ("first_purchase"), not the member names ("FIRST_PURCHASE").
        values_callable=lambda members: [member.value for member in members],
        # Room for new values without widening the column in a migration.
        length=32,
    )


def utcnow() -> datetime:
    return datetime.now(UTC)
