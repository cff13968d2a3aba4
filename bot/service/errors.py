"""Errors of the use-cases. Each carries the data a template needs to explain it.

ServiceError
├── AccountNotFound      no account matches; carries ranked "did you mean" candidates
├── AmbiguousAccount     several accounts match equally well; carries them
├── PersonNotFound
├── PersonInUse          removing or demoting someone would orphan accounts or leave no admin
├── InvalidInput         facts, tier, model or file content do not fit; carries every problem
├── PermissionDenied     the actor's role or ownership does not allow it; carries the reason
├── EditConflict         someone changed the account since it was read; carries what changed
├── NothingToUndo
└── UndoConflict         what undo would revert was changed since; carries the facts and who
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from scoring import Problem

if TYPE_CHECKING:
    from bot.service.views import AccountSummary


class ServiceError(Exception):
    """Base of every use-case error; adapters catch this and render a template."""


class AccountNotFound(ServiceError):
    def __init__(self, query: str, candidates: Sequence[AccountSummary] = ()) -> None:
        self.query = query
        self.candidates = tuple(candidates)
        super().__init__(f"no account matches {query!r}")


class AmbiguousAccount(ServiceError):
    def __init__(self, query: str, candidates: Sequence[AccountSummary]) -> None:
        self.query = query
        self.candidates = tuple(candidates)
        names = ", ".join(c.name for c in candidates)
        super().__init__(f"{query!r} matches several accounts: {names}")


class PersonNotFound(ServiceError):
    def __init__(self, query: str) -> None:
        self.query = query
        super().__init__(f"no person named {query!r}")


class PersonInUse(ServiceError):
    """``reason``: ``owns_accounts`` (``accounts`` of them, and nobody named to take them
    over) or ``last_admin`` (the team would be left without an admin)."""

    def __init__(self, reason: str, person: str, accounts: int = 0) -> None:
        self.reason = reason
        self.person = person
        self.accounts = accounts
        why = (
            f"owns {accounts} account(s); name who takes them over"
            if reason == "owns_accounts"
            else "is the only admin; make someone else admin first"
        )
        super().__init__(f"{person} {why}")


class InvalidInput(ServiceError):
    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        details = "; ".join(str(p) for p in problems)
        super().__init__(f"{source}: {details}")


class PermissionDenied(ServiceError):
    """``reason`` is a stable code templates translate (e.g. ``not_owner``, ``managers_only``)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"not allowed: {reason}{': ' + detail if detail else ''}")


class EditConflict(ServiceError):
    """``changed`` maps each fact someone else changed to (value you saw, value now)."""

    def __init__(
        self, account: str, changed: dict[str, tuple[object, object]], by: str | None
    ) -> None:
        self.account = account
        self.changed = changed
        self.by = by
        super().__init__(f"{account} was changed meanwhile by {by or 'someone'}: {sorted(changed)}")


class NothingToUndo(ServiceError):
    def __init__(self, account: str) -> None:
        self.account = account
        super().__init__(f"nothing to undo on {account}")


class UndoConflict(ServiceError):
    """Undoing a change would overwrite what others changed since: ``facts`` were
    changed after it (last by ``by``, when known)."""

    def __init__(self, account: str, facts: Sequence[str], by: str | None) -> None:
        self.account = account
        self.facts = tuple(facts)
        self.by = by
        super().__init__(f"{account}: {', '.join(facts)} changed since by {by or 'someone'}")
