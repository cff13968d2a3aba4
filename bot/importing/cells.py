"""What a spreadsheet cell holds once read: text, a number, a date, a percentage, or nothing.

Two kinds of cell need more than a plain value: a number Excel shows as a percentage
(0.35 formatted ``0%`` is 35%, not 0.35%), and a cell that cannot be imported as it is
(a formula nobody computed). The second is kept rather than raised at once, so that
it is reported only when its column is imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Percent:
    """A number shown as a percentage: ``points`` is what the sheet shows (35 for 35%)."""

    points: float

    @classmethod
    def of_fraction(cls, fraction: float) -> Percent:
        # Through the decimal text, so 0.07 becomes 7 rather than 7.000000000000001.
        return cls(float(Decimal(repr(fraction)) * 100))

    def __str__(self) -> str:
        return f"{Decimal(repr(self.points)).normalize():f}%"


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A cell whose value cannot be imported; ``reason`` says why and what to do."""

    reason: str


Cell = str | float | int | bool | date | Percent | Unreadable | None


def cell_value(value: object) -> Cell:
    """A reader's value as a cell: text stripped (blank is nothing), datetimes as dates."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()  # facts are dates; spreadsheets store them as midnight
    if isinstance(value, str):
        stripped = value.strip()
        return stripped or None
    if isinstance(value, bool | int | float | date | Percent | Unreadable):
        return value
    return str(value)
