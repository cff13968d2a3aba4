"""The use-cases: the only way adapters, the conversation core and the CLI touch data.

* :class:`TieringService` -- the facade; one method per use-case, one transaction each.
* :mod:`bot.service.views` -- what it returns (never ORM rows).
* :mod:`bot.service.errors` -- what it raises (:class:`ServiceError` and below).
* :class:`Actor` -- who is acting, for permissions and the audit log.
"""

from bot.service.actor import Actor
from bot.service.errors import (
    AccountNotFound,
    AmbiguousAccount,
    EditConflict,
    InvalidInput,
    NothingToUndo,
    PermissionDenied,
    PersonInUse,
    PersonNotFound,
    ServiceError,
    UndoConflict,
)
from bot.service.facade import TieringService
from bot.service.people import KEEP

__all__ = [
    "KEEP",
    "AccountNotFound",
    "Actor",
    "AmbiguousAccount",
    "EditConflict",
    "InvalidInput",
    "NothingToUndo",
    "PermissionDenied",
    "PersonInUse",
    "PersonNotFound",
    "ServiceError",
    "TieringService",
    "UndoConflict",
]
