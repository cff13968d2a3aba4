"""Rows to views: nothing outside the service ever sees an ORM object."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import aliased

from bot.service.views import (
    AccountSummary,
    ChatIdentityView,
    PersonView,
    TierChangeView,
)
from bot.store.tables import Account, ChatIdentity, Person, TierChange


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


def summaries_query() -> Select[Account, str]:
    """Accounts with their owner's name (None without one), ready for :func:`account_summary`."""
    return select(Account, Person.name).outerjoin(Person, Person.id == Account.owner_id)


@functools.cache
def tier_changes_query() -> Select[TierChange, str, str]:
    """Tier changes with the account's name and the name of whoever caused them (or None).

    Built once: statements are immutable, and building this one costs more than running it.
    """
    actor = aliased(Person)
    return (
        select(TierChange, Account.name, actor.name)
        .join(Account, Account.id == TierChange.account_id)
        .outerjoin(actor, actor.id == TierChange.actor_id)
    )


def tier_change_view(row: Any) -> TierChangeView:
    change, account_name, actor_name = row
    return TierChangeView(
        account_id=change.account_id,
        account_name=account_name,
        old_tier=change.old_tier,
        new_tier=change.new_tier,
        old_score=change.old_score,
        new_score=change.new_score,
        cause=change.cause,
        changed_at=change.changed_at,
        actor_name=actor_name,
        reasons=tuple(change.reasons),
    )


def person_view(person: Person, identities: Sequence[ChatIdentity]) -> PersonView:
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
