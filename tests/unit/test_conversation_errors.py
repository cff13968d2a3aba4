"""Every error a person can cause reads as its own reply, in each language."""

from __future__ import annotations

import pytest

from bot.conversation.errors import service_error_reply
from bot.conversation.messages import ReplyKind
from bot.conversation.texts import Texts
from bot.i18n import TextCatalog
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
from scoring import Problem

ERRORS: list[ServiceError] = [
    AccountNotFound("acme"),
    AmbiguousAccount("acme", []),
    EditConflict("Acme", {"referrals": (1, 2)}, "Li Wei"),
    InvalidInput("facts", [Problem("referrals", "must be at least 0")]),
    NothingToUndo("Acme"),
    PermissionDenied("not_owner"),
    PersonNotFound("Ann"),
    PersonInUse("owns_accounts", "Li Wei", 43),
    PersonInUse("last_admin", "Ann"),
    UndoConflict("Acme", ["revenue_growth"], "cli"),
]


def test_every_kind_of_service_error_is_listed_here() -> None:
    assert {type(error) for error in ERRORS} == set(ServiceError.__subclasses__())


@pytest.mark.parametrize("locale", ["en", "zh"])
def test_no_service_error_falls_back_to_the_apology_for_a_fault_of_ours(locale: str) -> None:
    texts = Texts(TextCatalog(), locale)
    ours = service_error_reply(texts, ServiceError("a fault of ours")).title
    for error in ERRORS:
        reply = service_error_reply(texts, error)
        assert reply.kind is ReplyKind.ERROR
        assert reply.title != ours, type(error).__name__


def test_an_undo_refused_names_the_facts_changed_since_and_who_changed_them() -> None:
    refused = UndoConflict("Acme", ["revenue_growth"], "cli")
    reply = service_error_reply(Texts(TextCatalog(), "zh"), refused)
    assert "revenue_growth" in reply.title
    assert "cli" in reply.title
    assert reply.title.startswith("没有撤销")


def test_removing_someone_who_owns_accounts_shows_how_to_hand_them_over() -> None:
    reply = service_error_reply(Texts(TextCatalog(), "en"), PersonInUse("owns_accounts", "Li", 43))
    assert reply.title == (
        "Li owns 43 accounts. Say who takes them over, e.g. people remove Li to Bob. "
        "Nothing was changed."
    )
