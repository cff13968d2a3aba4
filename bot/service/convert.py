"""Rows to views: nothing outside the service ever sees an ORM object."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import aliased

from bot.service.views import (
    AccountSummary,
    ChatIdentityView,
    PersonView,
    QualificationView,
    TierChangeView,
)
from bot.store.tables import Account, ChatIdentity, Person, TierChange
from scoring import LocalText


def account_summary(account: Account, owner_name: str | None) -> AccountSummary:
    return AccountSummary(
        id=account.id,
        external_id=account.external_id,
        name=account.name,
        owner_id=account.owner_id,
        owner_name=owner_name,
        lifecycle_stage=account.lifecycle_stage,
        tier=account.tier,
        scored_tier=account.scored_tier,
        score=account.score,
        tier_since=account.tier_since,
        last_reviewed_at=account.last_reviewed_at,
        override_tier=account.override_tier,
        override_reason=account.override_reason,
        override_until=account.override_until,
        version=account.version,
    )


_SUMMARY_FIELDS = (
    "id",
    "external_id",
    "name",
    "owner_id",
    "lifecycle_stage",
    "tier",
    "scored_tier",
    "score",
    "tier_since",
    "last_reviewed_at",
    "override_tier",
    "override_reason",
    "override_until",
    "version",
)


@functools.cache
def summary_columns_query() -> Select[*tuple[Any, ...]]:
    """An account summary's columns, its aliases and its owner's name, as plain columns
    for :func:`summary_of_row`: no ORM object, no facts to decode. Built once."""
    columns = [getattr(Account, name) for name in _SUMMARY_FIELDS]
    return select(*columns, Account.aliases, Person.name.label("owner_name")).outerjoin(
        Person, Person.id == Account.owner_id
    )


def summary_of_row(row: Any) -> AccountSummary:
    """The summary of a :func:`summary_columns_query` row."""
    mapping = row._mapping
    return AccountSummary(
        **{name: mapping[name] for name in _SUMMARY_FIELDS}, owner_name=mapping["owner_name"]
    )


def summaries_query() -> Select[Account, str]:
    """Accounts with their owner's name (None without one), ready for :func:`account_summary`."""
    return select(Account, Person.name).outerjoin(Person, Person.id == Account.owner_id)


@functools.cache
def tier_changes_query() -> Select[*tuple[Any, ...]]:
    """Tier changes with the account's name and the name of whoever caused them (or None).

    Plain columns, so it runs on a connection without loading ORM objects. Built once:
    statements are immutable, and building this one costs more than running it.
    """
    actor = aliased(Person)
    return (
        select(
            TierChange.account_id,
            Account.name.label("account_name"),
            TierChange.old_tier,
            TierChange.new_tier,
            TierChange.old_score,
            TierChange.new_score,
            TierChange.cause,
            TierChange.changed_at,
            actor.name.label("actor_name"),
            TierChange.reasons,
        )
        .join(Account, Account.id == TierChange.account_id)
        .outerjoin(actor, actor.id == TierChange.actor_id)
    )


def tier_change_view(row: Any) -> TierChangeView:
    return TierChangeView(
        account_id=row.account_id,
        account_name=row.account_name,
        old_tier=row.old_tier,
        new_tier=row.new_tier,
        old_score=row.old_score,
        new_score=row.new_score,
        cause=row.cause,
        changed_at=row.changed_at,
        actor_name=row.actor_name,
        reasons=tuple(row.reasons),
    )


def person_view(person: Person | Any, identities: Sequence[ChatIdentity | Any]) -> PersonView:
    """The view of a person and their chat identities: ORM objects or rows of their columns."""
    return PersonView(
        id=person.id,
        name=person.name,
        role=person.role,
        language=person.language,
        time_zone=person.time_zone,
        email=person.email,
        alerts_enabled=person.alerts_enabled,
        digest_enabled=person.digest_enabled,
        identities=tuple(
            ChatIdentityView(i.platform.value, i.platform_user_id, i.team_id) for i in identities
        ),
    )


def qualification_view(document: Mapping[str, Any] | None) -> QualificationView | None:
    """A qualification kept with an account (see :mod:`bot.service.qualifications`)."""
    if not document:
        return None
    return QualificationView(
        grade=document["grade"],
        label=LocalText.of(document.get("label") or document["grade"]),
        model=document.get("model", ""),
        answers=document.get("answers", {}),
        at=datetime.fromisoformat(document["at"]),
        by=document.get("by"),
    )
