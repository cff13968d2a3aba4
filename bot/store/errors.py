"""Errors raised by the storage layer.

Callers catch these instead of SQLAlchemy or driver exceptions, so the rest of
the bot never depends on which database or driver is underneath::

    StoreError
    ├── ConcurrentUpdateError     someone else saved the row since it was loaded
    └── DatabaseUnavailableError  the database cannot be reached or opened
"""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError


class StoreError(Exception):
    """Base class for every storage error."""


class ConcurrentUpdateError(StoreError):
    """A row changed between loading and saving it (its version is stale).

    Reload the row and apply the change again, or tell the person that somebody
    else edited it first.
    """


class DatabaseUnavailableError(StoreError):
    """The database at ``url`` cannot be reached, opened or logged into."""

    def __init__(self, url: str | URL, reason: str) -> None:
        self.url = redact_url(url)
        self.reason = reason
        super().__init__(f"database {self.url} is unavailable: {reason}")


def redact_url(url: str | URL) -> str:
    """Render ``url`` with its password masked, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        # An unparseable URL may still hold a password; never echo it back.
        return "<unparseable database URL>"
