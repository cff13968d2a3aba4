"""Turn every error a person can cause into a short reply that says what to do instead."""

from __future__ import annotations

from bot.conversation.cards import ref
from bot.conversation.messages import Button, Reply, ReplyKind, Section
from bot.conversation.parser import Command, ParseError, retyped
from bot.conversation.texts import Texts, flat
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


def parse_error_reply(texts: Texts, error: ParseError) -> Reply:
    return Reply(
        title=texts("common", "parse_error", code=error.code, detail=flat(error.detail)),
        kind=ReplyKind.ERROR,
        footer=texts("common", "example", text=error.example),
        buttons=(Button("help", "help"),),
    )


def service_error_reply(texts: Texts, error: ServiceError, command: Command | None = None) -> Reply:
    """``command``, when known, is what a "did you mean" choice repeats."""
    if isinstance(error, AccountNotFound | AmbiguousAccount):
        return _choices_reply(texts, error, command)
    if isinstance(error, InvalidInput):
        return invalid_input_reply(texts, error)
    if isinstance(error, PermissionDenied):
        return _error(texts("common", "denied", reason=error.reason, detail=flat(error.detail)))
    if isinstance(error, EditConflict):
        return _error(
            texts(
                "common",
                "conflict",
                account=flat(error.account),
                fields=", ".join(sorted(error.changed)),
                by=flat(error.by or ""),
            )
        )
    if isinstance(error, NothingToUndo):
        return _error(texts("common", "nothing_to_undo", account=flat(error.account)))
    if isinstance(error, UndoConflict):
        return _error(
            texts(
                "common",
                "undo_conflict",
                account=flat(error.account),
                facts=", ".join(error.facts),
                by=flat(error.by or ""),
            )
        )
    if isinstance(error, PersonInUse):
        return _error(
            texts(
                "common",
                "person_in_use",
                reason=error.reason,
                person=flat(error.person),
                accounts=error.accounts,
            )
        )
    if isinstance(error, PersonNotFound):
        return _error(texts("common", "person_not_found", query=flat(error.query)))
    return _error(texts("common", "try_again"))


def invalid_input_reply(
    texts: Texts, error: InvalidInput, example: str = "", hint: str = ""
) -> Reply:
    lines = tuple(
        texts("common", "problem", path=flat(p.path), message=flat(p.message))
        for p in error.problems
    )
    footer = texts("common", "nothing_changed")
    if example:
        footer += " " + texts("common", "example", text=example)
    return Reply(
        title=texts("common", "invalid_title"),
        kind=ReplyKind.ERROR,
        sections=(Section(None, (*lines, hint) if hint else lines),),
        footer=footer,
    )


def _choices_reply(
    texts: Texts, error: AccountNotFound | AmbiguousAccount, command: Command | None
) -> Reply:
    query = flat(error.query)
    if isinstance(error, AmbiguousAccount):
        title = texts("common", "ambiguous", query=query)
    else:
        title = texts("common", "not_found", query=query, has_candidates=bool(error.candidates))
    return Reply(
        title=title,
        kind=ReplyKind.ERROR,
        buttons=tuple(
            Button(f"{flat(c.name)[:50]} ({c.tier or '-'})", _for_account(command, ref(c)))
            for c in error.candidates[:5]
        ),
    )


def _for_account(command: Command | None, key: str) -> str:
    """What picking an account sends: the command that was asked, about that account
    (``set #12 referrals=1``); the card when the command is not known or names none."""
    typed = retyped(command, key) if command is not None else None
    return typed or f"tier {key}"


def _error(text: str) -> Reply:
    return Reply(title=text, kind=ReplyKind.ERROR)
